"""Exact numbers: every metric is parsed as Decimal (never float); micros divide exactly."""

from __future__ import annotations

import decimal
import typing as t

MICROS = decimal.Decimal(1_000_000)
CENTS = decimal.Decimal(100)


def to_decimal(value: t.Any) -> decimal.Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, float):  # bodies are parsed with parse_float=Decimal; be safe anyway
        return decimal.Decimal(repr(value))
    return decimal.Decimal(str(value).strip())


def from_micros(value: t.Any) -> decimal.Decimal | None:
    """Micro-units (cost_micros, SPEND_IN_MICRO_DOLLAR) -> currency units, exactly."""
    number = to_decimal(value)
    return None if number is None else _plain(number / MICROS)


def from_cents(value: t.Any) -> decimal.Decimal | None:
    """Cents (Reddit's CONVERSION_PURCHASE_TOTAL_VALUE) -> currency units, exactly."""
    number = to_decimal(value)
    return None if number is None else _plain(number / CENTS)


def to_int(value: t.Any) -> int | None:
    number = to_decimal(value)
    return None if number is None else int(number)


def _plain(number: decimal.Decimal) -> decimal.Decimal:
    # 1230000 / 1e6 is Decimal('1.23'): normalize drops trailing zeros, but keep integers
    # out of exponent form (Decimal('1E+1') would print as 1E+1).
    normal = number.normalize()
    return normal.quantize(decimal.Decimal(1)) if normal == normal.to_integral() else normal
