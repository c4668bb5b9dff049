"""A platform's runtime within one run: its settings block, HTTP client and accounts."""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass, field

from singer_sdk import typing as th

from tap_ads.core.auth import RefreshTokenFlow
from tap_ads.core.errors import ApiError, fail, register_secret
from tap_ads.core.http import ApiClient
from tap_ads.core.versions import Versions

if t.TYPE_CHECKING:
    from singer_sdk import Stream


@dataclass
class Account:
    """An ad account (Meta ad account, Google Ads customer, TikTok advertiser, ...)."""

    id: str
    name: str | None
    currency: str
    time_zone: str
    status: str | None = None
    extras: dict[str, t.Any] = field(default_factory=dict)

    def row(self) -> dict[str, t.Any]:
        return {
            "id": self.id,
            "account_id": self.id,
            "name": self.name,
            "currency": self.currency,
            "time_zone": self.time_zone,
            "status": self.status,
            **self.extras,
        }


class Platform:
    """Subclass per platform: settings, how to build the client, how to read an account."""

    key: t.ClassVar[str]  # the settings block, e.g. "google_ads"
    label: t.ClassVar[str]  # "Google Ads"
    accounts_setting: t.ClassVar[str]  # "customer_ids"
    default_lookback_days: t.ClassVar[int]
    settings: t.ClassVar[list[th.Property]]
    required: t.ClassVar[tuple[str, ...]]
    secrets: t.ClassVar[tuple[str, ...]]
    streams: t.ClassVar[t.Sequence[type[Stream]]]
    versions: t.ClassVar[Versions]  # the API versions and their end of support

    def __init__(
        self, config: t.Mapping[str, t.Any], block: dict[str, t.Any], logger: logging.Logger
    ):
        self.top = config
        self.config = self.with_defaults(block)
        self.logger = logger
        self.validate()
        self.versions.check(str(self.config["api_url"]), logger)
        self._accounts: dict[str, Account] = {}
        self.client = self.make_client()

    @classmethod
    def with_defaults(cls, block: dict[str, t.Any]) -> dict[str, t.Any]:
        defaults = {
            p.name: p.to_dict()[p.name].get("default")
            for p in cls.settings
            if "default" in p.to_dict()[p.name]
        }
        return {**defaults, **{k: v for k, v in block.items() if v is not None}}

    def validate(self) -> None:
        for name in self.secrets:
            register_secret(self.config.get(name))
        for name in self.required:
            value = self.config.get(name)
            if value is None or value == "" or value == []:
                fail(
                    f"the `{self.key}` block is missing `{name}`: set `{self.key}.{name}` "
                    f"(env TAP_ADS_{self.key.upper()}_{name.upper()}) or remove the "
                    f"`{self.key}` block to skip {self.label}."
                )
            if isinstance(value, str) and value != value.strip():
                fail(f"`{self.key}.{name}` has leading or trailing whitespace; remove it.")
        ids = self.config[self.accounts_setting]
        if not isinstance(ids, list) or not all(isinstance(i, str | int) for i in ids):
            fail(f"`{self.key}.{self.accounts_setting}` must be a list of account ids.")
        for account_id in ids:
            self.check_account_id(str(account_id).strip())

    def check_account_id(self, account_id: str) -> None:
        if not account_id.isdigit():
            fail(
                f"`{self.key}.{self.accounts_setting}` holds {account_id!r}, which is not a "
                f"{self.label} account id (digits only)."
            )

    @property
    def account_ids(self) -> list[str]:
        # Ordered, without repeats.
        return list(dict.fromkeys(str(i).strip() for i in self.config[self.accounts_setting]))

    @property
    def lookback_days(self) -> int:
        return int(self.config.get("lookback_days", self.default_lookback_days))

    def client_options(self) -> dict[str, t.Any]:
        return {
            "logger": self.logger,
            "timeout": float(self.top.get("request_timeout", 60)),
            "max_retries": int(self.top.get("max_retries", 8)),
            "backoff_seconds": int(self.top.get("retry_backoff_ms", 1000)) / 1000,
        }

    def make_client(self) -> ApiClient:
        raise NotImplementedError

    def refresh_token_flow(self, token_url: str, **options: t.Any) -> RefreshTokenFlow:
        """OAuth2 refresh-token auth from the block's client_id, client_secret, refresh_token."""
        return RefreshTokenFlow(
            platform=self.label,
            setting_prefix=self.key,
            token_url=token_url,
            client_id=self.config["client_id"],
            client_secret=self.config["client_secret"],
            refresh_token=self.config["refresh_token"],
            timeout=self.client_options()["timeout"],
            **options,
        )

    def account(self, account_id: str) -> Account:
        if account_id not in self._accounts:
            self._accounts[account_id] = self.load_account(account_id)
        return self._accounts[account_id]

    def load_account(self, account_id: str) -> Account:
        raise NotImplementedError

    def get_account_object(self, account_id: str, path: str) -> t.Any:
        """GET an account's own object, where a 403 or 404 means the id is wrong or not granted."""
        try:
            return self.client.get(path)
        except ApiError as exc:
            if exc.status in (403, 404):
                self.unknown_account(account_id, exc.reason)
            raise

    def unknown_account(self, account_id: str, reason: str) -> t.NoReturn:
        fail(
            f"{self.label} account {account_id} is unknown or not readable with these "
            f"credentials ({reason}): fix `{self.key}.{self.accounts_setting}` or grant the "
            "credentials access to it."
        )


def block_property(platform: type[Platform], description: str) -> th.Property:
    return th.Property(
        platform.key,
        th.ObjectType(*platform.settings),
        title=platform.label,
        description=description,
    )
