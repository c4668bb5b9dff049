"""Okendo's list paging, shared by every list endpoint the sandbox serves.

Okendo pages in creation-date order with `limit` and a JSON `lastEvaluated` key that
names the last item of the previous page. The stores keep their items as integer slots
whose creation time strictly increases with the slot, so resuming after a key is a
bisect, not a sort, and items deleted between two pages simply drop out.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(2023, 1, 1, tzinfo=UTC)  # sandbox times are milliseconds since EPOCH

Item = dict[str, Any]


def iso(ms: int) -> str:
    """Okendo's timestamp format: UTC, millisecond precision, `Z` suffix."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_ms(value: str) -> int:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("naive timestamp")
    return round((moment - EPOCH).total_seconds() * 1000)


@dataclass(frozen=True)
class DateOrderedList:
    """One list endpoint's items: `slots` in strictly increasing creation time."""

    slots: Sequence[int]
    created_ms: Callable[[int], int]
    slot_id: Callable[[int], str]  # cheap: checks a cursor without rendering the item
    is_live: Callable[[int], bool]
    render: Callable[[int], Item]
    id_key: str  # e.g. "reviewId"

    def page(
        self, *, descending: bool, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """One page in date order, resuming after the `lastEvaluated` key if given."""
        slots = self.slots
        if after is None:
            position = len(slots) - 1 if descending else 0
        else:
            position = self._cursor_position(after)
            position = position - 1 if descending else position + 1
        page: list[Item] = []
        step = -1 if descending else 1
        while 0 <= position < len(slots) and len(page) < limit:
            if self.is_live(slots[position]):
                page.append(self.render(slots[position]))
            position += step
        rest = range(position, -1, -1) if descending else range(position, len(slots))
        more = 0 <= position < len(slots) and any(self.is_live(slots[p]) for p in rest)
        if not page or not more:
            return page, None
        last = page[-1]
        cursor = {
            "subscriberId": last["subscriberId"],
            self.id_key: last[self.id_key],
            "dateCreated": last["dateCreated"],
        }
        return page, cursor

    def _cursor_position(self, cursor: dict[str, Any]) -> int:
        try:
            created_ms = parse_ms(str(cursor["dateCreated"]))
            item_id = str(cursor[self.id_key])
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError("lastEvaluated is not a key this endpoint issued") from exc
        position = bisect.bisect_left(self.slots, created_ms, key=self.created_ms)
        if (
            position >= len(self.slots)
            or self.created_ms(self.slots[position]) != created_ms
            or self.slot_id(self.slots[position]) != item_id
        ):
            raise ValueError("lastEvaluated does not match any item of this list")
        return position
