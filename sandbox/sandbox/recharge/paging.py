"""Recharge 2021-11 cursor pagination, as ../shared/vendors/recharge.md records it.

- `limit`: default 50, at most 250 (a larger, zero or non-numeric limit is a 400).
- The first request carries the filters (`updated_at_min`, `sort_by`, ...). The body then
  holds `next_cursor` (absent on the last page) and `previous_cursor` (absent on the first
  page). A follow-up request sends **only** `cursor` and optionally `limit`: the cursor
  carries the filters and the sort, and a request that repeats a filter next to a cursor is
  rejected with a 422 (Recharge documents "filters go on the first request only"; what it
  answers otherwise is not documented, so the sandbox picks the strict reading).
- Cursors are opaque (base64url JSON here) and keyed on the last row's sort key plus its id,
  so rows that share an updated_at second page correctly and rows that change between pages
  move to the end instead of shifting earlier pages.
- Filters and sorts per resource are the ones Recharge's own Python client (`recharge-api`
  2.0.8, `recharge.api.v2.<resource>.<Resource>ListQuery`) declares; sandbox/tests checks
  the tables below against it. Only /charges takes `sort_by` (ChargeListSortBy: id-*,
  updated_at-*, scheduled_at-*; the sandbox does not model scheduled_at and answers 422 for
  it); every other list comes in the default order (id-desc). There `sort_by` is accepted
  and ignored: the client declares none, yet peers in production send one on every list
  (singer-io tap-recharge 3.0.1: `sort_by=updated_at-asc`), so Recharge does not refuse it,
  and nothing promises it is honoured; ignoring it is the reading that breaks a reader
  relying on it. Plans filter on updated_at only; events on created_at only.
- `*_min` / `*_max` filters are exclusive by default: neither the client (plain `str`
  fields) nor the docs the project could consult say whether the bound is inclusive
  ("updated after the given date" in Recharge's reference), so the sandbox takes the
  reading that loses data for a client that trusts it; `inclusive_bounds=True` switches
  to >= / <= and the tap's tests run under both. Accepted formats: `YYYY-MM-DD`,
  `YYYY-MM-DDTHH:MM:SS[.ffffff]` with `Z` or an offset; without an offset the time is
  taken as UTC (unconfirmed: Recharge may use the store's time zone).
- Follow-up pages: the client's own `recharge.pagination.get_next_page_url` keeps only
  `cursor` and `limit` from the first URL, which is the rule above.
- Unknown query parameters are a 422 (stricter than ignoring them: a typo cannot pass).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.recharge.data import Row, Table

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
SORTS = {f"{key}-{way}" for key in ("id", "updated_at") for way in ("asc", "desc")}
DEFAULT_SORT = "id-desc"
# recharge-api 2.0.8: only ChargeListQuery has sort_by (ChargeListSortBy).
SORTABLE = {"charges": SORTS | {"scheduled_at-asc", "scheduled_at-desc"}}
UNMODELLED_SORTS = {"scheduled_at-asc", "scheduled_at-desc"}
# The date filters of each <Resource>ListQuery (its other filters are not modelled).
DATE_FILTERS = {
    "events": ("created_at",),
    "plans": ("updated_at",),
    **dict.fromkeys(
        ("addresses", "charges", "customers", "discounts", "onetimes", "orders", "subscriptions"),
        ("created_at", "updated_at"),
    ),
}


class BadRequest(ValueError):
    """400: a malformed `limit`."""


class Unprocessable(ValueError):
    """422: filters next to a cursor, an unknown parameter, a bad cursor, date or sort."""


def allowed_filters(resource: str) -> frozenset[str]:
    fields = DATE_FILTERS.get(resource, ())
    return frozenset(f"{field}_{end}" for field in fields for end in ("min", "max"))


def allowed_sorts(resource: str) -> set[str]:
    return SORTABLE.get(resource, set())


def parse_time(name: str, value: str) -> float:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unprocessable(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time, got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class Query:
    resource: str
    sort: str
    filters: dict[str, str]  # as sent, for the cursor
    after: tuple[int, ...] | None = None  # sort key of the row the cursor points at
    backwards: bool = False  # a previous_cursor: the rows before `after`

    @property
    def sort_key(self) -> str:
        return self.sort.rsplit("-", 1)[0]

    @property
    def descending(self) -> bool:
        return self.sort.endswith("-desc")


def parse_limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
    return int(raw)


def parse_query(resource: str, params: Mapping[str, str]) -> Query:
    """The query of a first request (filters) or of a follow-up (`cursor` [+ `limit`])."""
    names = set(params) - {"limit"}
    if "cursor" in params:
        extra = sorted(names - {"cursor"})
        if extra:
            raise Unprocessable(
                f"cursor cannot be combined with other parameters ({', '.join(extra)}): "
                "filters go on the first request only; send only cursor and limit"
            )
        return decode_cursor(resource, params["cursor"])
    filters = allowed_filters(resource)
    known = filters | {"sort_by"}
    unknown = sorted(names - known)
    if unknown:
        raise Unprocessable(
            f"unknown parameter(s) for /{resource}: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known)) or 'limit and cursor only'}"
        )
    sort = params.get("sort_by", DEFAULT_SORT)
    honoured = allowed_sorts(resource) - UNMODELLED_SORTS
    if "sort_by" in params and honoured and sort not in honoured:
        raise Unprocessable(
            f"sort_by {sort!r} is not supported on /{resource}; use one of "
            f"{', '.join(sorted(honoured))}"
        )
    if not honoured:
        sort = DEFAULT_SORT  # a sort the list does not declare: accepted, ignored
    chosen = {name: params[name] for name in sorted(names & filters)}
    for name, value in chosen.items():
        parse_time(name, value)
    return Query(resource=resource, sort=sort, filters=chosen)


def encode_cursor(query: Query, row: Row, *, backwards: bool) -> str:
    payload = {
        "r": query.resource,
        "s": query.sort,
        "f": query.filters,
        "k": list(_key(query.sort_key, row)),
        "b": backwards,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(resource: str, cursor: str) -> Query:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        query = Query(
            resource=str(payload["r"]),
            sort=str(payload["s"]),
            filters={str(k): str(v) for k, v in dict(payload["f"]).items()},
            after=tuple(int(v) for v in payload["k"]),
            backwards=bool(payload["b"]),
        )
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise Unprocessable("cursor is not a cursor this API issued") from None
    if query.resource != resource:
        raise Unprocessable(f"cursor belongs to /{query.resource}, not /{resource}")
    if query.sort not in SORTS:
        raise Unprocessable("cursor is not a cursor this API issued")
    return query


def _key(sort_key: str, row: Row) -> tuple[int, ...]:
    if sort_key == "updated_at":
        return (row.updated, row.id)
    return (row.id,)  # created_at order is id order: ids increase with created_at


class Matcher:
    def __init__(self, filters: Mapping[str, str], inclusive: bool) -> None:
        self.bounds = [
            (name.rsplit("_", 1)[0], name.endswith("_min"), parse_time(name, value))
            for name, value in filters.items()
        ]
        self.inclusive = inclusive

    def __call__(self, row: Row) -> bool:
        for field, is_min, bound in self.bounds:
            value = row.updated if field == "updated_at" else row.created
            if is_min and (value < bound or (value == bound and not self.inclusive)):
                return False
            if not is_min and (value > bound or (value == bound and not self.inclusive)):
                return False
        return True


def _walk(
    table: Table, query: Query, *, reverse: bool, start: tuple[int, ...] | None
) -> Iterator[Row]:
    """Rows in sort order (or its reverse), strictly after (before) `start` when given."""
    descending = query.descending != reverse
    if query.sort_key == "updated_at":
        keys: list[Any] = table.by_updated
        probe: Any = start
        lookup = table.rows
        at = lambda i: lookup[keys[i][1]]  # noqa: E731
    else:
        keys = table.ids
        probe = start[0] if start else None
        at = lambda i: table.rows[keys[i]]  # noqa: E731
    if probe is None:
        index = len(keys) - 1 if descending else _first_candidate(table, query, keys)
    else:
        index = (
            bisect.bisect_left(keys, probe) - 1 if descending else bisect.bisect_right(keys, probe)
        )
    step = -1 if descending else 1
    while 0 <= index < len(keys):
        yield at(index)
        index += step


def _first_candidate(table: Table, query: Query, keys: list[Any]) -> int:
    """Skip straight to the lower bound of an ascending first page (bisect, not a scan)."""
    if query.sort_key == "updated_at" and "updated_at_min" in query.filters:
        bound = int(parse_time("updated_at_min", query.filters["updated_at_min"]))
        return bisect.bisect_left(keys, (bound, -1))
    if query.sort_key != "updated_at" and "created_at_min" in query.filters:
        floor = int(parse_time("created_at_min", query.filters["created_at_min"]))
        return bisect.bisect_left(keys, floor, key=lambda i: table.rows[i].created)
    return 0


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None
    previous_cursor: str | None


def page(table: Table, query: Query, limit: int, *, inclusive: bool = False) -> Page:
    match = Matcher(query.filters, inclusive)
    rows: list[Row] = []
    more = False
    for row in _walk(table, query, reverse=query.backwards, start=query.after):
        if not match(row):
            continue
        if len(rows) == limit:
            more = True
            break
        rows.append(row)
    if query.backwards:
        rows.reverse()
        has_next = bool(rows) and _any_match(table, query, rows[-1], match, reverse=False)
        has_previous = more
    else:
        has_next = more
        # Every page reached through a cursor has a page before it (Recharge keeps
        # previous_cursor off the first page only).
        has_previous = query.after is not None and bool(rows)
    return Page(
        rows=rows,
        next_cursor=encode_cursor(query, rows[-1], backwards=False) if has_next else None,
        previous_cursor=encode_cursor(query, rows[0], backwards=True) if has_previous else None,
    )


def _any_match(table: Table, query: Query, row: Row, match: Matcher, *, reverse: bool) -> bool:
    start = _key(query.sort_key, row)
    return any(match(r) for r in _walk(table, query, reverse=reverse, start=start))
