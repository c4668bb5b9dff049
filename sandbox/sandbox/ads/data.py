"""The ad platforms' shared data model: accounts, campaigns, ad groups, ads (one creative
each) and one daily metrics row per ad and active day, all derived from (platform, seed,
scale, today); plus revisions (late conversions, attribution) and the ground truth.

Money is held in the currency's minor unit (cents; whole yen for JPY) as an int, so every
wire shape (Meta's "12.34", micros elsewhere) and every total is exact. Google Ads reports
fractional conversions (data-driven attribution), so conversions are Decimals with two
places there and whole numbers elsewhere.

Dates are in each account's time zone (Pinterest: UTC, its report days). "today" is the
`today` argument for every account, or, without it, the date of `now` (default: the current
time) in each account's own zone, fixed when the store is built: accounts east and west of
UTC can be on different days.

Boundaries: the first ad of every account delivers on every day of the history, so every day
a reader may bookmark on or cut a report window at (today, the lookback's first day, any
window edge) has rows on both of its sides.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

HISTORY_DAYS = 120  # rows from today - 120 days to today (inclusive)
PLATFORMS = ("meta", "google_ads", "tiktok", "pinterest", "reddit")
ALIASES = {"google-ads": "google_ads"}
# Minor-unit digits (ISO 4217) of the currencies the sandbox uses.
CURRENCY_DIGITS = {"USD": 2, "GBP": 2, "EUR": 2, "JPY": 0, "AUD": 2}
# Two accounts per platform: one USD/New York, one elsewhere (another currency and zone).
ACCOUNT_ZONES = {
    "meta": [("USD", "America/New_York"), ("GBP", "Europe/London")],
    "google_ads": [("USD", "America/New_York"), ("JPY", "Asia/Tokyo")],
    "tiktok": [("USD", "America/New_York"), ("EUR", "Europe/Berlin")],
    # Pinterest ad accounts have no time zone in its API; report dates are UTC days.
    "pinterest": [("USD", "UTC"), ("GBP", "UTC")],
    "reddit": [("USD", "America/New_York"), ("AUD", "Australia/Sydney")],
}
CAMPAIGNS_PER_ACCOUNT = 5
AD_GROUPS_PER_CAMPAIGN = 3
ADS_PER_AD_GROUP = 3
GOOGLE_CHANNELS = ("VIDEO", "SEARCH", "DISPLAY", "SEARCH", "SHOPPING")  # campaign i % 5


def platform_key(name: str) -> str:
    key = ALIASES.get(name, name)
    if key not in PLATFORMS:
        raise ValueError(f"unknown ad platform {name!r}: use one of {', '.join(PLATFORMS)}")
    return key


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    currency: str
    time_zone: str
    today: date
    created: datetime

    @property
    def digits(self) -> int:
        return CURRENCY_DIGITS[self.currency]

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=HISTORY_DAYS)


@dataclass(frozen=True)
class Campaign:
    id: str
    account_id: str
    name: str
    active: bool  # rendered as each platform's own status value
    channel: str  # Google's advertising_channel_type (others: "" )
    objective: str
    created: datetime
    daily_budget: int  # minor units


@dataclass(frozen=True)
class AdGroup:
    id: str
    account_id: str
    campaign_id: str
    name: str
    active: bool
    created: datetime
    bid: int  # minor units


@dataclass(frozen=True)
class Ad:
    id: str
    account_id: str
    campaign_id: str
    ad_group_id: str
    name: str
    active: bool
    created: datetime
    creative_id: str
    headline: str
    body: str
    url: str
    video_id: str  # YouTube id (Google VIDEO campaigns) or "" ; TikTok/Meta video ids differ
    video_title: str
    video_duration_millis: int
    first_day: date  # first day the ad can deliver
    last_day: date | None  # None: still running
    always_on: bool = False  # delivers every day (rows on both sides of every boundary)


@dataclass(frozen=True)
class Row:
    """One ad's numbers on one day (account time zone)."""

    account_id: str
    campaign_id: str
    ad_group_id: str
    ad_id: str
    day: date
    impressions: int
    clicks: int
    spend: int  # minor units
    conversions: Decimal
    conversion_value: int  # minor units
    video_views: int = 0
    quartiles: tuple[Decimal, Decimal, Decimal, Decimal] = (Decimal(0),) * 4  # p25..p100


def money(minor: int, digits: int) -> Decimal:
    return Decimal(minor).scaleb(-digits)


def micros(minor: int, digits: int) -> int:
    return minor * 10 ** (6 - digits)


def dec_text(value: Decimal) -> str:
    """A Decimal as plain text: never an exponent ("0E-2" -> "0.00")."""
    return format(value, "f")


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _ids(platform: str, rng: random.Random) -> tuple[Callable[[], str], Callable[[], str]]:
    """Id makers per platform, shaped like its ids: (ad account, any other object)."""
    if platform == "meta":
        return (lambda: _digits(rng, 15)), (lambda: "238" + _digits(rng, 14))
    if platform == "google_ads":
        return (lambda: _digits(rng, 10)), (lambda: _digits(rng, 11))
    if platform == "tiktok":
        return (lambda: "7" + _digits(rng, 18)), (lambda: "17" + _digits(rng, 17))
    if platform == "pinterest":
        return (lambda: "5497" + _digits(rng, 8)), (lambda: "6267" + _digits(rng, 8))
    # Reddit v3: ad accounts "a2_" + base36, other objects numeric strings.
    alphabet = string.ascii_lowercase + string.digits
    return (lambda: "a2_" + "".join(rng.choice(alphabet) for _ in range(10))), (
        lambda: _digits(rng, 19)
    )


_WORDS = ["Spring", "Evergreen", "Retargeting", "Prospecting", "Brand", "Launch", "Holiday"]
_PRODUCTS = ["Cold Brew", "Daily Greens", "Merino Socks", "Oat Milk", "Protein Bars", "Matcha"]


@dataclass
class AdsData:
    """Entities and daily rows of one platform; `rows` is mutated only by `revise`."""

    platform: str
    seed: int = 1
    scale: float = 1.0
    today: date | None = None
    now: datetime | None = None  # the instant each account's today is taken at
    accounts: list[Account] = field(init=False)
    campaigns: list[Campaign] = field(init=False)
    ad_groups: list[AdGroup] = field(init=False)
    ads: list[Ad] = field(init=False)
    # account id -> day -> rows of that day in ad order
    rows: dict[str, dict[date, list[Row]]] = field(init=False)
    names: dict[str, str] = field(init=False)
    revisions: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.platform = platform_key(self.platform)
        if self.scale <= 0:
            raise ValueError("scale must be greater than 0")
        rng = random.Random(f"ads:{self.platform}:{self.seed}")
        new_account, new_node = _ids(self.platform, rng)
        self.accounts, self.campaigns, self.ad_groups, self.ads = [], [], [], []
        now = self.now or datetime.now(UTC)
        n_campaigns = max(1, round(CAMPAIGNS_PER_ACCOUNT * self.scale))
        for a, (currency, zone) in enumerate(ACCOUNT_ZONES[self.platform]):
            today = self.today or now.astimezone(ZoneInfo(zone)).date()
            created = datetime(2021, 3, 1 + a, 9, 30, tzinfo=UTC)
            account = Account(
                id=new_account(),
                name=f"{['Acme US', 'Acme Intl'][a]} ({self.platform})",
                currency=currency,
                time_zone=zone,
                today=today,
                created=created,
            )
            self.accounts.append(account)
            self._build_account(account, n_campaigns, rng, new_node)
        self.rows = {a.id: self._history(a) for a in self.accounts}
        # id -> name of every campaign, ad group and ad (report rows carry names)
        self.names = {
            **{c.id: c.name for c in self.campaigns},
            **{g.id: g.name for g in self.ad_groups},
            **{a.id: a.name for a in self.ads},
        }

    def _build_account(
        self, account: Account, n: int, rng: random.Random, new_node: Callable[[], str]
    ) -> None:
        span = HISTORY_DAYS
        scale_money = 10**account.digits if account.digits else 150  # yen amounts ~ x150
        for c in range(n):
            channel = GOOGLE_CHANNELS[c % 5] if self.platform == "google_ads" else ""
            campaign = Campaign(
                id=new_node(),
                account_id=account.id,
                name=f"{rng.choice(_WORDS)} {rng.choice(_PRODUCTS)} #{c + 1}",
                active=c % 4 != 3,
                channel=channel,
                objective=rng.choice(["CONVERSIONS", "TRAFFIC", "AWARENESS"]),
                created=account.created + timedelta(days=30 * (c + 1)),
                daily_budget=rng.choice([50, 100, 250, 500]) * scale_money,
            )
            self.campaigns.append(campaign)
            for g in range(AD_GROUPS_PER_CAMPAIGN):
                group = AdGroup(
                    id=new_node(),
                    account_id=account.id,
                    campaign_id=campaign.id,
                    name=f"{campaign.name} / group {g + 1}",
                    active=campaign.active and g != 2,
                    created=campaign.created + timedelta(hours=g + 1),
                    bid=rng.randint(20, 300) * (scale_money // 100 or 1),
                )
                self.ad_groups.append(group)
                for i in range(ADS_PER_AD_GROUP):
                    start = account.first_day + timedelta(days=rng.randint(0, span - 20))
                    stop = None
                    if not group.active or rng.random() < 0.3:
                        stop = min(account.today, start + timedelta(days=rng.randint(5, 90)))
                    always_on = c == g == i == 0  # the same draws, so the other ads stay
                    if always_on:
                        start, stop = account.first_day, None
                    product = rng.choice(_PRODUCTS)
                    video = channel == "VIDEO"
                    self.ads.append(
                        Ad(
                            id=new_node(),
                            account_id=account.id,
                            campaign_id=campaign.id,
                            ad_group_id=group.id,
                            name=f"{product} ad {g + 1}.{i + 1}",
                            active=group.active and stop is None,
                            created=datetime.combine(start, datetime.min.time(), UTC),
                            creative_id=new_node(),
                            headline=f"Try {product} today",
                            body=f"{product}: free shipping over 40 — «limited» offer",
                            url=f"https://shop.example.com/p/{product.lower().replace(' ', '-')}",
                            video_id="".join(
                                rng.choice(string.ascii_letters + string.digits + "-_")
                                for _ in range(11)
                            )
                            if video
                            else "",
                            video_title=f"{product} in 30 seconds" if video else "",
                            video_duration_millis=rng.choice([15_000, 30_000, 45_000])
                            if video
                            else 0,
                            first_day=start,
                            last_day=stop,
                            always_on=always_on,
                        )
                    )

    # -- daily rows -------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def _ads_of(self, account_id: str) -> list[Ad]:
        return [ad for ad in self.ads if ad.account_id == account_id]

    def _history(self, account: Account) -> dict[date, list[Row]]:
        by_day: dict[date, list[Row]] = {}
        for ad in self._ads_of(account.id):
            rng = random.Random(f"rows:{self.platform}:{self.seed}:{ad.id}")
            reach = rng.randint(200, 6000)
            day, last = ad.first_day, ad.last_day or account.today
            while day <= last:
                row = self._row(account, ad, day, rng, reach, late=False)
                if row is not None:
                    by_day.setdefault(day, []).append(row)
                day += timedelta(days=1)
        return dict(sorted(by_day.items()))

    def _row(
        self, account: Account, ad: Ad, day: date, rng: random.Random, reach: int, *, late: bool
    ) -> Row | None:
        # About 6% of active days deliver nothing: the platforms return no row for them,
        # and they are where a revision's late rows appear.
        if rng.random() < 0.06 and not late and not ad.always_on:
            return None
        impressions = max(1, int(reach * rng.uniform(0.3, 1.4)))
        clicks = int(impressions * rng.uniform(0.004, 0.03))
        cpm = rng.uniform(4, 18)  # per 1,000 impressions, in major units
        unit = 10**account.digits if account.digits else 1
        yen = 150 if account.digits == 0 else 1
        spend = round(impressions * cpm / 1000 * unit * yen)
        conversions = self._conversions(clicks, rng)
        value = round(conversions * Decimal(rng.randint(25, 90)) * unit * yen)
        views, quartiles = 0, (Decimal(0),) * 4
        if ad.video_id:
            views = int(impressions * rng.uniform(0.2, 0.45))
            p25 = round(rng.uniform(0.55, 0.9), 4)
            p50 = round(p25 * rng.uniform(0.6, 0.9), 4)
            p75 = round(p50 * rng.uniform(0.6, 0.9), 4)
            p100 = round(p75 * rng.uniform(0.5, 0.9), 4)
            quartiles = (
                Decimal(str(p25)),
                Decimal(str(p50)),
                Decimal(str(p75)),
                Decimal(str(p100)),
            )
        return Row(
            account_id=account.id,
            campaign_id=ad.campaign_id,
            ad_group_id=ad.ad_group_id,
            ad_id=ad.id,
            day=day,
            impressions=impressions,
            clicks=clicks,
            spend=spend,
            conversions=conversions,
            conversion_value=int(value),
            video_views=views,
            quartiles=quartiles,
        )

    def _conversions(self, clicks: int, rng: random.Random) -> Decimal:
        expected = clicks * rng.uniform(0.01, 0.08)
        if self.platform == "google_ads":  # data-driven attribution: fractional
            return Decimal(str(round(expected, 2))).quantize(Decimal("0.01"))
        return Decimal(int(expected + rng.random()))

    def iter_rows(self, account_id: str, start: date, end: date) -> Iterator[Row]:
        """Rows of one account dated start..end (inclusive), by day then ad."""
        for day, rows in self.rows.get(account_id, {}).items():
            if start <= day <= end:
                yield from rows

    # -- revisions --------------------------------------------------------------------
    def revise(self, days: int, seed: int | None = None) -> dict:
        """Change numbers of rows dated within the last `days` days (today included) and add
        a few late rows (ad days that had no delivery); rows older than that never change."""
        if days < 1:
            raise ValueError("days must be at least 1")
        self.revisions += 1
        rng = random.Random(f"revise:{self.platform}:{self.seed}:{self.revisions}:{seed}")
        summary: dict[str, dict] = {}
        for account in self.accounts:
            start = account.today - timedelta(days=days - 1)
            changed = added = 0
            by_day = self.rows[account.id]
            for day in [d for d in by_day if d >= start]:
                new_rows = []
                for row in by_day[day]:
                    if rng.random() < 0.5 or (changed == 0 and day == account.today):
                        row = self._revised(row, rng)
                        changed += 1
                    new_rows.append(row)
                by_day[day] = new_rows
            for ad, day in self._late_candidates(account, start, rng):
                reach = rng.randint(200, 3000)
                late_row = self._row(account, ad, day, rng, reach, late=True)
                assert late_row is not None
                by_day.setdefault(day, []).append(late_row)
                order = {a.id: i for i, a in enumerate(self.ads)}
                by_day[day].sort(key=lambda r: order[r.ad_id])
                added += 1
            self.rows[account.id] = dict(sorted(by_day.items()))
            summary[account.id] = {
                "start": start.isoformat(),
                "end": account.today.isoformat(),
                "changed_rows": changed,
                "added_rows": added,
            }
        return {
            "revision": self.revisions,
            "changed_rows": sum(s["changed_rows"] for s in summary.values()),
            "added_rows": sum(s["added_rows"] for s in summary.values()),
            "by_account": summary,
        }

    def _revised(self, row: Row, rng: random.Random) -> Row:
        # Late conversions raise conversions and value; delivery corrections move
        # impressions, clicks and spend by a few percent either way.
        factor = rng.uniform(0.97, 1.05)
        impressions = max(1, round(row.impressions * factor))
        clicks = min(impressions, round(row.clicks * factor))
        extra = self._conversions(max(clicks, 10), rng) + 1
        unit = (row.conversion_value // row.conversions) if row.conversions else 3000
        return replace(
            row,
            impressions=impressions,
            clicks=clicks,
            spend=max(1, round(row.spend * factor)),
            conversions=row.conversions + extra,
            conversion_value=row.conversion_value + round(extra * Decimal(int(unit))),
            video_views=round(row.video_views * factor),
        )

    def _late_candidates(
        self, account: Account, start: date, rng: random.Random
    ) -> list[tuple[Ad, date]]:
        have = {
            (r.ad_id, r.day)
            for d, rows in self.rows[account.id].items()
            if d >= start
            for r in rows
        }
        candidates = []
        for ad in self._ads_of(account.id):
            day = max(start, ad.first_day)
            while day <= min(account.today, ad.last_day or account.today):
                if (ad.id, day) not in have:
                    candidates.append((ad, day))
                day += timedelta(days=1)
        rng.shuffle(candidates)
        return sorted(candidates[:3], key=lambda c: c[1])

    # -- truth ------------------------------------------------------------------------
    def truth(self, start: date, end: date) -> dict:
        entity_counts = {
            "ad_accounts": len(self.accounts),
            "campaigns": len(self.campaigns),
            "ad_groups": len(self.ad_groups),
            "ads": len(self.ads),
            "creatives": len(self.ads),
        }
        if self.platform == "google_ads":
            entity_counts["videos"] = len({ad.video_id for ad in self.ads if ad.video_id})
        body: dict = {
            "platform": self.platform,
            "today": (self.today or max(a.today for a in self.accounts)).isoformat(),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "accounts": {
                a.id: {
                    "name": a.name,
                    "currency": a.currency,
                    "time_zone": a.time_zone,
                    "today": a.today.isoformat(),
                }
                for a in self.accounts
            },
            "entities": entity_counts,
            "report": self._totals(start, end, video=False),
        }
        if self.platform == "google_ads":
            body["video_report"] = self._totals(start, end, video=True)
        return body

    def _totals(self, start: date, end: date, *, video: bool) -> dict:
        video_ads = {ad.id for ad in self.ads if ad.video_id}
        by_account = {}
        for account in self.accounts:
            rows = [
                r
                for r in self.iter_rows(account.id, start, end)
                if not video or r.ad_id in video_ads
            ]
            by_account[account.id] = _sum(rows, account.digits, video=video)
        total = {
            key: (
                sum(t[key] for t in by_account.values())
                if key in ("rows", "impressions", "clicks", "video_views")
                else dec_text(sum((Decimal(t[key]) for t in by_account.values()), Decimal(0)))
            )
            for key in next(iter(by_account.values()))
        }
        return {**total, "by_account": by_account}


def _sum(rows: list[Row], digits: int, *, video: bool) -> dict:
    totals: dict = {
        "rows": len(rows),
        "impressions": sum(r.impressions for r in rows),
        "clicks": sum(r.clicks for r in rows),
        "spend": dec_text(money(sum(r.spend for r in rows), digits)),
        "conversions": dec_text(sum((r.conversions for r in rows), Decimal(0))),
        "conversion_value": dec_text(money(sum(r.conversion_value for r in rows), digits)),
    }
    if video:
        totals["video_views"] = sum(r.video_views for r in rows)
    return totals
