"""Deterministic, lazily generated Okendo reviews.

A review is a pure function of (seed, global index), so the store holds only small
integer arrays: a million reviews cost a few megabytes, and any page can be produced
on demand. Creation dates increase strictly with the index, which makes `orderBy=date`
paging a bisect instead of a sort (see paging.py, shared with the survey responses).
"""

from __future__ import annotations

import bisect
import random
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.okendo.paging import DateOrderedList
from sandbox.okendo.paging import iso as _iso

STATUSES = ("approved", "pending", "rejected")
DEFAULT_COUNTS = {"approved": 200, "pending": 30, "rejected": 20}
MAX_REVIEWS_PER_STATUS = 1_000_000

_SPAN_MS = 3 * 365 * 24 * 3600 * 1000  # seeded history spans about three years

_PRODUCTS = [
    ("shopify-7001", "Everyday Tote", ["shopify-41001", "shopify-41002"], ["Black", "Sand"]),
    ("shopify-7002", "Merino Crew Sock", ["shopify-41003", "shopify-41004"], ["S/M", "L/XL"]),
    ("shopify-7003", "Rain Shell Jacket", ["shopify-41005", "shopify-41006"], ["M", "L"]),
    ("shopify-7004", "Ceramic Pour-Over", ["shopify-41007"], ["Default Title"]),
    ("shopify-7005", "Linen Duvet Cover", ["shopify-41008", "shopify-41009"], ["Queen", "King"]),
]
_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoë", "Mateo", "Aiko", "Oluwaseun", "Chloé", "Ivan"]
_LAST = ["Nguyen", "Smith", "García", "Müller", "O'Brien", "Kowalski", "Rossi", "Tanaka"]
_COUNTRIES = [
    ("US", "United States", "CA"),
    ("GB", "United Kingdom", None),
    ("AU", "Australia", "NSW"),
    ("CA", "Canada", "ON"),
    ("DE", "Germany", None),
]
_SENTIMENTS = ["positive", "negative", "neutral", "mixed"]
_TAGS = ["fit", "quality", "shipping", "gift", "value", "color", "comfort"]
_WORDS = [
    "great",
    "soft",
    "fabric",
    "runs",
    "small",
    "arrived",
    "quickly",
    "colour",
    "faded",
    "love",
    "it",
    "would",
    "buy",
    "again",
    "stitching",
    "came",
    "loose",
    "perfect",
    "gift",
    '"quoted"',
    "émoji",
    "👍",
    "comma,",
    "separated;",
    "value",
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def subscriber_id(seed: int) -> str:
    """The Okendo store's id; reviews and survey responses of one seed share it."""
    return str(uuid.UUID(int=seed, version=4))


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


@dataclass
class ReviewStore:
    """The seeded reviews of one Okendo store, with runtime deletes, additions and edits."""

    seed: int = 1
    counts: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COUNTS))

    def __post_init__(self) -> None:
        for status, count in self.counts.items():
            if status not in STATUSES:
                raise ValueError(f"unknown review status {status!r}; use {', '.join(STATUSES)}")
            if not 0 <= count <= MAX_REVIEWS_PER_STATUS:
                raise ValueError(f"{status} count must be 0..{MAX_REVIEWS_PER_STATUS}, got {count}")
        labels = [s for s in STATUSES for _ in range(self.counts.get(s, 0))]
        random.Random(self.seed).shuffle(labels)
        self._step_ms = max(1, _SPAN_MS // max(len(labels), 1))
        self._next_index = len(labels)
        self._by_status: dict[str, array] = {s: array("q") for s in STATUSES}
        for index, status in enumerate(labels):
            self._by_status[status].append(index)
        self._deleted: set[int] = set()
        self._patches: dict[int, dict[str, Any]] = {}
        self._index_by_id: dict[str, int] = {}  # filled lazily, for admin lookups only

    # -- generation -------------------------------------------------------------------
    def created_ms(self, index: int) -> int:
        jitter = random.Random(self.seed * 7_919 + index).randrange(self._step_ms)
        return index * self._step_ms + jitter

    def review(self, index: int, status: str) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_003 + index)
        review_id = _uuid(rng)
        product_id, product_name, variant_ids, variant_names = rng.choice(_PRODUCTS)
        variant_at = rng.randrange(len(variant_ids))
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        code, country, zone = rng.choice(_COUNTRIES)
        created_ms = self.created_ms(index)
        rating = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 8])[0]
        review: dict[str, Any] = {
            "reviewId": review_id,
            "subscriberId": subscriber_id(self.seed),
            "productId": product_id,
            "productName": product_name,
            "variantId": variant_ids[variant_at],
            "variantName": variant_names[variant_at],
            "rating": rating,
            "title": _sentence(rng, rng.randint(2, 5)),
            "body": _sentence(rng, rng.randint(5, 40)),
            "sentiment": rng.choice(_SENTIMENTS),
            "status": status,
            "tags": rng.sample(_TAGS, rng.randint(0, 3)),
            "dateCreated": _iso(created_ms),
            "helpfulCount": rng.randint(0, 40),
            "unhelpfulCount": rng.randint(0, 5),
            "isRecommended": rating >= 4,
            "isIncentivized": rng.random() < 0.1,
            "containsProfanity": rng.random() < 0.02,
            "reviewer": {
                "name": f"{first} {last}",
                "displayName": f"{first} {last[0]}.",
                "email": f"{first.lower()}.{index}@example.com",
                "avatarUrl": None
                if rng.random() < 0.5
                else f"https://cdn.example.com/a/{index}.png",
                "isVerified": rng.random() < 0.8,
                "verifiedStatus": rng.choice(["verifiedBuyer", "verifiedReviewer", "none"]),
                "location": {"country": {"code": code, "name": country}, "zoneCode": zone},
                "attributes": [
                    {
                        "title": "Age",
                        "type": "single-value",
                        "value": rng.choice(["18-24", "25-34", "35-44", "45+"]),
                    },
                ]
                if rng.random() < 0.6
                else [],
                "socialConnection": rng.choice([None, "facebook", "google"]),
            },
            "order": {"orderId": f"shopify-{5_000_000 + index}", "orderNumber": f"#{1000 + index}"}
            if rng.random() < 0.7
            else None,
            "reply": {
                "body": "Thanks for the review!",
                "rawBody": "<p>Thanks for the review!</p>",
                "dateCreated": _iso(created_ms + 86_400_000),
                "isPrivate": rng.random() < 0.2,
            }
            if rng.random() < 0.3
            else None,
            "reward": {
                "type": "coupon",
                "value": rng.choice([5, 10, 12.5, 15]),
                "description": "Discount on your next order",
            }
            if rng.random() < 0.15
            else None,
            "media": [
                {
                    "streamId": f"{review_id}-m{m}",
                    "type": rng.choice(["image", "video"]),
                    "fullSizeUrl": f"https://media.example.com/{index}/{m}.jpg",
                    "largeUrl": f"https://media.example.com/{index}/{m}_l.jpg",
                    "thumbnailUrl": f"https://media.example.com/{index}/{m}_t.jpg",
                    "isHidden": rng.random() < 0.1,
                }
                for m in range(rng.choice([0, 0, 0, 1, 2]))
            ],
            "attributesWithRating": [
                {
                    "title": title,
                    "type": "range",
                    "value": rng.randint(1, 5),
                    "minLabel": lo,
                    "midLabel": "Just right",
                    "maxLabel": hi,
                }
                for title, lo, hi in [
                    ("Fit", "Runs small", "Runs large"),
                    ("Quality", "Poor", "Excellent"),
                ][: rng.randint(0, 2)]
            ],
            "productAttributes": [
                {
                    "title": "Size purchased",
                    "type": "single-value",
                    "value": variant_names[variant_at],
                }
            ]
            if rng.random() < 0.5
            else [],
        }
        review.update(self._patches.get(index, {}))
        self._index_by_id.setdefault(review_id, index)
        return review

    # -- listing ----------------------------------------------------------------------
    def live_indexes(self, status: str) -> Iterator[int]:
        return (i for i in self._by_status[status] if i not in self._deleted)

    def page(
        self, status: str, *, descending: bool, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page in date order, resuming after the `lastEvaluated` key if given."""
        return DateOrderedList(
            slots=self._by_status[status],
            created_ms=self.created_ms,
            slot_id=self._review_id,
            is_live=lambda index: index not in self._deleted,
            render=lambda index: self.review(index, status),
            id_key="reviewId",
        ).page(descending=descending, limit=limit, after=after)

    def _review_id(self, index: int) -> str:
        return _uuid(random.Random(self.seed * 1_000_003 + index))

    # -- runtime changes (the admin API) -------------------------------------------------
    def find(self, review_id: str) -> tuple[int, str] | None:
        index = self._index_by_id.get(review_id)
        if index is None:
            index = next(
                (i for i in range(self._next_index) if self._review_id(i) == review_id),
                None,
            )
            if index is None:
                return None
            self._index_by_id[review_id] = index
        for status in STATUSES:
            indexes = self._by_status[status]
            position = bisect.bisect_left(indexes, index)
            if position < len(indexes) and indexes[position] == index:
                return index, status
        return None

    def delete(self, review_id: str) -> bool:
        found = self.find(review_id)
        if found is None or found[0] in self._deleted:
            return False
        self._deleted.add(found[0])
        return True

    def patch(self, review_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        found = self.find(review_id)
        if found is None or found[0] in self._deleted:
            return None
        protected = {"reviewId", "status", "dateCreated", "subscriberId"} & fields.keys()
        if protected:
            raise ValueError(f"cannot patch {', '.join(sorted(protected))}")
        self._patches.setdefault(found[0], {}).update(fields)
        return self.review(*found)

    def add(self, status: str, count: int) -> list[str]:
        """New reviews, created after every existing one (as new reviews are)."""
        if status not in STATUSES:
            raise ValueError(f"unknown review status {status!r}")
        ids = []
        for _ in range(count):
            index = self._next_index
            self._next_index += 1
            self._by_status[status].append(index)
            ids.append(self.review(index, status)["reviewId"])
        return ids

    # -- ground truth ---------------------------------------------------------------------
    def iter_live(self) -> Iterator[dict[str, Any]]:
        for status in STATUSES:
            for index in self.live_indexes(status):
                yield self.review(index, status)

    def truth(self) -> dict[str, Any]:
        per_status = {s: sum(1 for _ in self.live_indexes(s)) for s in STATUSES}
        children = {
            "review_media": 0,
            "review_rated_attributes": 0,
            "review_product_attributes": 0,
            "review_tags": 0,
            "review_reviewer_attributes": 0,
        }
        rating_sum = 0
        for review in self.iter_live():
            children["review_media"] += len(review["media"])
            children["review_rated_attributes"] += len(review["attributesWithRating"])
            children["review_product_attributes"] += len(review["productAttributes"])
            children["review_tags"] += len(review["tags"])
            children["review_reviewer_attributes"] += len(review["reviewer"]["attributes"])
            rating_sum += review["rating"]
        return {
            "vendor": "okendo",
            "seed": self.seed,
            "reviews": {**per_status, "total": sum(per_status.values())},
            "rows": {"reviews": sum(per_status.values()), **children},
            "rating_sum": rating_sum,
        }
