"""The shared HTTP pieces on their own: decimal text and the bucket-aware pacer."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from tap_recharge import client, schemas


def test_decimal_fields_become_exact_text_wherever_they_are_nested():
    fields = client.DecimalFields(schemas.CHARGE)
    record = {
        "total_price": Decimal("19.90"),  # a JSON number, parsed as Decimal (never float)
        "subtotal_price": "1e3",
        "total_tax": "0.10",
        "line_items": [
            {"unit_price": 5, "tax_lines": [{"price": "1.00", "rate": Decimal("0.0725")}]},
            {"unit_price": None, "tax_lines": None},
        ],
        "shipping_lines": None,
        "status": "success",
    }
    fields.apply(record, lambda: "charges id 1")
    assert record["total_price"] == "19.90"
    assert record["subtotal_price"] == "1000"
    assert record["total_tax"] == "0.10"
    assert record["line_items"][0] == {
        "unit_price": "5",
        "tax_lines": [{"price": "1.00", "rate": "0.0725"}],
    }
    assert record["line_items"][1] == {"unit_price": None, "tax_lines": None}


@pytest.mark.parametrize("bad", ["N/A", "NaN", True, "19,99"])
def test_a_value_that_is_no_decimal_stops_the_run_with_one_line(bad):
    fields = client.DecimalFields(schemas.SUBSCRIPTION)
    with pytest.raises(SystemExit) as stopped:
        fields.apply({"price": bad}, lambda: "subscriptions id 7")
    message = str(stopped.value)
    assert message.startswith("tap-recharge: Recharge sent price=")
    assert "subscriptions id 7" in message and "\n" not in message


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def answer(used: int, size: int = 40) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["X-Recharge-Limit"] = f"{used}/{size}"
    return response


def test_pacer_spends_the_free_calls_then_holds_the_drain_rate(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client, "time", clock)
    pacer = client.BucketPacer(2.0)
    for _ in range(38):  # 40 less the 2 kept free: no wait
        pacer.wait()
    assert clock.slept == []
    pacer.wait()
    pacer.wait()
    assert clock.slept == [0.5, 0.5]  # then one call per 1/2 s


def test_pacer_believes_the_bucket_header_when_others_use_the_bucket(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client, "time", clock)
    pacer = client.BucketPacer(2.0)
    pacer.wait()
    pacer.observe(answer(used=37))  # another app of the store spent most of the bucket
    pacer.wait()
    assert clock.slept == []  # 37 + 1 fits under 38
    pacer.observe(answer(used=38))
    pacer.wait()
    assert clock.slept == [0.5]
    # a lower reading does not make it faster than its own rate
    pacer.observe(answer(used=0))
    pacer.wait()
    assert clock.slept == [0.5, 0.5]


def test_a_429_without_retry_after_waits_until_the_bucket_has_room(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client, "time", clock)
    pacer = client.BucketPacer(2.0)
    assert pacer.wait_after_429(answer(used=40)) == pytest.approx(1.5)  # 3 calls at 2/s
    assert pacer.wait_after_429(answer(used=5)) == client.MIN_429_WAIT  # a 429 storm
    bare = requests.Response()
    bare.status_code = 429
    assert pacer.wait_after_429(bare) == client.NO_HEADER_429_WAIT


def test_pacing_off_never_waits(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client, "time", clock)
    pacer = client.BucketPacer(0)
    for _ in range(100):
        pacer.wait()
    assert clock.slept == []
