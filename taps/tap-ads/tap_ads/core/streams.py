"""The two kinds of streams every platform has: full-table entity lists and incremental
daily reports. Platform modules subclass them declaratively (name, schema, columns) and
supply only how to fetch raw rows.

Rows are normalized the same way everywhere: the raw object is flattened (nested keys
joined with "_", camelCase to snake_case), each schema column is taken from `columns`
(output name -> flattened source key; default: the same name), ids become strings,
integers and numbers are parsed exactly (Decimal), `micros` columns are divided by
1,000,000 and `cents` columns by 100, and report rows get the account's currency and time zone.
"""

from __future__ import annotations

import re
import typing as t
from datetime import date, timedelta

from singer_sdk import Stream
from singer_sdk import typing as th

from tap_ads.core.dates import DateRange, parse_date, read_range, today_in
from tap_ads.core.errors import ApiError, fail
from tap_ads.core.jobs import JobRunner, read_split
from tap_ads.core.numbers import from_cents, from_micros, to_decimal, to_int
from tap_ads.core.platform import Account, Platform

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

Row = dict[str, t.Any]
DRY_RUN_DAYS = 3  # a dry run (`--test`) reads a report over the last few days only

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def flatten(raw: t.Mapping[str, t.Any], prefix: str = "") -> Row:
    """{"adGroupAd": {"ad": {"id": 1}}} -> {"ad_group_ad_ad_id": 1}; lists stay as they are."""
    flat: Row = {}
    for key, value in raw.items():
        name = f"{prefix}{snake(key)}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def _coerce(value: t.Any, types: list[str]) -> t.Any:
    if value is None:
        return None
    if "integer" in types:
        return to_int(value)
    if "number" in types:
        return to_decimal(value)
    if "string" in types and not isinstance(value, str):
        return format(value, "f") if hasattr(value, "as_tuple") else str(value)
    return value


def entity_schema(*extras: th.Property, parents: t.Sequence[str] = ()) -> dict[str, t.Any]:
    """The normalized entity columns (`id, account_id, name, status` and the parent ids)."""
    return th.PropertiesList(
        th.Property("id", th.StringType, required=True),
        th.Property("account_id", th.StringType, required=True),
        *(th.Property(p, th.StringType) for p in parents),
        th.Property("name", th.StringType),
        th.Property("status", th.StringType, description="The platform's own status value"),
        *extras,
    ).to_dict()


def account_schema(*extras: th.Property) -> dict[str, t.Any]:
    """The normalized account columns (entity columns, currency, time zone), then extras."""
    return entity_schema(
        th.Property("currency", th.StringType, description="ISO 4217"),
        th.Property("time_zone", th.StringType, description="IANA time zone of the reports"),
        *extras,
    )


ACCOUNT_SCHEMA = account_schema()

REPORT_KEY: tuple[str, ...] = ("account_id", "ad_group_id", "ad_id", "date")


def report_schema(*extras: th.Property) -> dict[str, t.Any]:
    """The normalized daily report columns of every platform, then its own extras."""
    return th.PropertiesList(
        th.Property("account_id", th.StringType, required=True),
        th.Property("campaign_id", th.StringType),
        th.Property("ad_group_id", th.StringType, required=True),
        th.Property("ad_id", th.StringType, required=True),
        th.Property("date", th.DateType, required=True, description="In the account's zone"),
        th.Property("currency", th.StringType, description="ISO 4217, the account's"),
        th.Property("time_zone", th.StringType, description="IANA, the account's"),
        th.Property("impressions", th.IntegerType),
        th.Property("clicks", th.IntegerType),
        th.Property("spend", th.NumberType, description="In currency units (exact)"),
        th.Property("conversions", th.NumberType),
        th.Property("conversion_value", th.NumberType, description="In currency units"),
        *extras,
    ).to_dict()


class AdsStream(Stream):
    """A stream of one platform, partitioned by account."""

    platform: t.ClassVar[type[Platform]]
    columns: t.ClassVar[dict[str, str]] = {}  # output column -> flattened source key
    micros: t.ClassVar[frozenset[str]] = frozenset()  # output columns given in micros
    cents: t.ClassVar[frozenset[str]] = frozenset()  # output columns given in cents

    @property
    def runtime(self) -> Platform:
        return self._tap.platform_runtime(self.platform)  # type: ignore[attr-defined]

    @property
    def partitions(self) -> list[dict[str, t.Any]] | None:
        return [{"account_id": account_id} for account_id in self.runtime.account_ids]

    def normalize(self, raw: t.Mapping[str, t.Any], account: Account) -> Row:
        flat = flatten(raw)
        row: Row = {}
        for column, spec in self.schema["properties"].items():
            value = flat.get(self.columns.get(column, column))
            if column in self.micros:
                row[column] = from_micros(value)
                continue
            if column in self.cents:
                row[column] = from_cents(value)
                continue
            types = spec.get("type", [])
            row[column] = _coerce(value, types if isinstance(types, list) else [types])
        row["account_id"] = account.id
        return row

    def dry_run_has_enough(self, count: int) -> bool:
        return self.ABORT_AT_RECORD_COUNT is not None and count >= self.ABORT_AT_RECORD_COUNT

    def get_records(self, context: Context | None) -> t.Iterable[Row]:
        try:
            yield from self.read((context or {})["account_id"])
        except ApiError as exc:  # a refusal no retry fixes: one line, the run stops
            message = str(exc).rstrip(".")
            if "kept failing" not in message and "check `" not in message:
                message += f". Check the {exc.platform} settings and the account ids"
            fail(message + ".")

    def read(self, account_id: str) -> t.Iterator[Row]:
        raise NotImplementedError


class AccountsStream(AdsStream):
    """One row per configured account: id, name, currency, time zone, status."""

    primary_keys = ("id",)
    replication_key = None
    schema = ACCOUNT_SCHEMA

    def read(self, account_id: str) -> t.Iterator[Row]:
        yield self.runtime.account(account_id).row()


class EntityStream(AdsStream):
    """A full-table list (campaigns, ad groups, ads, creatives) of one account."""

    primary_keys = ("id",)
    replication_key = None

    def fetch(self, account: Account) -> t.Iterator[Row]:
        raise NotImplementedError

    def read(self, account_id: str) -> t.Iterator[Row]:
        account = self.runtime.account(account_id)
        for count, raw in enumerate(self.fetch(account), start=1):
            yield self.normalize(raw, account)
            if self.dry_run_has_enough(count):
                return


class ReportStream(AdsStream):
    """A daily report of one account, incremental on `date`.

    Each run reads `[max(start_date, bookmark - lookback_days), end_date or today]` (today in
    the account's time zone) in windows of at most `max_window_days`, oldest first; the
    bookmark moves to a window's last day only once all of the window's rows are out.
    """

    primary_keys = REPORT_KEY
    replication_key = "date"
    is_sorted = False
    max_window_days: t.ClassVar[int] = 30

    def fetch(self, account: Account, window: DateRange) -> t.Iterator[Row]:
        raise NotImplementedError

    def window_days(self) -> int:
        return self.max_window_days

    def job_runner(self, owner: str, **options: t.Any) -> JobRunner:
        """A runner for the platform's async report jobs, paced by its job settings."""
        config = self.runtime.config
        return JobRunner(
            platform=self.runtime.label,
            owner=owner,
            logger=self.logger,
            poll_seconds=int(config["poll_interval_ms"]) / 1000,
            max_attempts=int(config["max_job_attempts"]),
            **options,
        )

    def _increment_stream_state(
        self, latest_record: Row, *, context: Context | None = None
    ) -> None:
        """The bookmark follows completed windows (see `_window_done`), not single rows."""

    def read_range(self, account: Account) -> DateRange | None:
        state = self.get_context_state({"account_id": account.id})
        bookmark = state.get("replication_key_value")
        end = self.config.get("end_date")
        today = today_in(account.time_zone, f"{self.runtime.label} account {account.id}")
        if self.ABORT_AT_RECORD_COUNT is not None:  # a dry run: the last few days are enough
            return DateRange(today - timedelta(days=DRY_RUN_DAYS - 1), today)
        return read_range(
            start_date=parse_date(self.config["start_date"], "start_date"),
            end_date=parse_date(end, "end_date") if end else None,
            bookmark=parse_date(bookmark, "state bookmark") if bookmark else None,
            lookback_days=self.runtime.lookback_days,
            today=today,
        )

    def read(self, account_id: str) -> t.Iterator[Row]:
        account = self.runtime.account(account_id)
        span = self.read_range(account)
        if span is None:
            return
        self.logger.info(
            "%s: reading %s for account %s (%s, %s).",
            self.name,
            span,
            account.id,
            account.currency,
            account.time_zone,
        )
        describe = f"{self.runtime.label} account {account.id}"
        count = 0
        for window in span.windows(self.window_days()):
            rows = read_split(
                window,
                lambda w: self.fetch(account, w),
                on_window_done=lambda w: self._window_done(account, w),
                describe=describe,
                logger=self.logger,
            )
            for raw in rows:
                row = self.normalize(raw, account)
                row["currency"], row["time_zone"] = account.currency, account.time_zone
                count += 1
                yield row
                if self.dry_run_has_enough(count):
                    return

    def _window_done(self, account: Account, window: DateRange) -> None:
        state = self.get_context_state({"account_id": account.id})
        old = state.get("replication_key_value")
        end = window.end if not old else max(window.end, date.fromisoformat(old[:10]))
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = end.isoformat()
        self.state_manager.is_flushed = False
        self._write_state_message()
