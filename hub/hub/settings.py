"""A source's settings, read and written through the Meltano project itself.

Reading uses Meltano's own settings service (definitions, values and where each value comes
from: env var, `.env`, environment, `meltano.yml`, default). Writing follows Meltano's rule for
an active environment: secrets go to `.env` through Meltano's dotenv store, everything else
into the active environment's `config` in the YAML file that defines it, edited with
ruamel.yaml round-trip so comments and layout survive (Meltano's own YAML store would rewrite
every included file in its canonical form).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dotenv import dotenv_values
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

# Meltano's services are not documented as thread-safe; the web server calls them from a
# thread pool, so one lock serialises every use.
_MELTANO = threading.Lock()

# Where a value comes from, in Meltano's words, said plainly.
SOURCE_LABELS = {
    "env": "environment variable",
    "dotenv": ".env",
    "meltano_environment": "environment config",
    "meltano_yml": "meltano.yml",
    "inherited": "inherited",
    "db": "system database",
    "default": "default",
}
STORED = {"dotenv", "meltano_environment", "meltano_yml", "db"}

# What Meltano expands in a stored value ($NAME or ${NAME}, unless escaped with a backslash;
# meltano.core.utils.ENV_VAR_PATTERN): typed into the Hub, it would read any variable of the
# server or `.env` into a setting that is shown in clear.
_ENV_REFERENCE = re.compile(r"(?<!\\)\$(?:\{\w+\}|[A-Z][A-Z0-9_]*)")


class SettingsError(ValueError):
    """A value the user typed that cannot be stored; the message is one line for the form."""


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    kind: str  # Meltano's kind: string, integer, boolean, password, array, options, ...
    description: str
    secret: bool
    value: Any  # what a run gets ($VAR references expanded); never shown
    source: str  # key of SOURCE_LABELS
    env_var: str
    options: tuple[tuple[str, str], ...] = ()
    stored: Any = None  # the value as stored, references unexpanded: what the page shows

    @property
    def addresses_a_host(self) -> bool:
        """A setting that says where requests go (`api_url`, `base_url`, `host`)."""
        return self.name == "host" or self.name.endswith("url")

    @property
    def is_set(self) -> bool:
        return self.value not in (None, "", [], {})

    @property
    def display(self) -> str:
        """The value as the form shows it (secrets never), as stored: a `${VAR}` reference is
        shown as the reference, never as the variable's value."""
        if self.secret or self.stored is None:
            return ""
        if isinstance(self.stored, list | dict):
            return json.dumps(self.stored)
        if isinstance(self.stored, bool):
            return "true" if self.stored else "false"
        return str(self.stored)


@dataclass(frozen=True)
class Plugin:
    """An extractor as the Hub shows it: its card, settings and completeness."""

    name: str
    label: str
    description: str
    load_schema: str | None
    inherit_from: str | None
    settings: tuple[Setting, ...]
    required_groups: tuple[tuple[str, ...], ...]
    select: tuple[str, ...] = ()  # Meltano's `select` rules in effect ("reviews.*", "!x.*")

    def setting(self, name: str) -> Setting:
        return next(s for s in self.settings if s.name == name)

    @property
    def required(self) -> tuple[str, ...]:
        """Settings named in any group of `settings_group_validation`, in group order."""
        seen: list[str] = []
        for group in self.required_groups:
            seen.extend(n for n in group if n not in seen)
        return tuple(seen)

    @property
    def missing(self) -> tuple[str, ...]:
        """Labels of what the closest group still lacks; empty when a whole group is set."""
        if not self.required_groups:
            return ()
        values = {s.name: s for s in self.settings}
        gaps = [
            [values[n].label for n in group if n in values and not values[n].is_set]
            for group in self.required_groups
        ]
        best = min(gaps, key=len)
        return tuple(best)

    @property
    def is_configured(self) -> bool:
        """Whether the user stored anything for it (not defaults, not inherited)."""
        return any(s.source in STORED or s.source == "env" for s in self.settings)


# -- Meltano access -----------------------------------------------------------------------


def active_environment(root: Path) -> str | None:
    """The environment runs use: $MELTANO_ENVIRONMENT, else meltano.yml's default."""
    if env := os.environ.get("MELTANO_ENVIRONMENT"):
        return env
    doc = _yaml().load((root / "meltano.yml").read_text())
    return (doc or {}).get("default_environment")


@contextmanager
def _meltano(root: Path) -> Iterator[Any]:
    from meltano.core.project import Project

    with _MELTANO:
        project = Project(root)
        if env := active_environment(root):
            project.activate_environment(env)
        yield project


def _plugin_service(project: Any, name: str, plugin_type: str = "extractors") -> Any:
    from meltano.core.plugin import PluginType
    from meltano.core.plugin.error import PluginNotFoundError
    from meltano.core.plugin.settings_service import PluginSettingsService

    try:
        plugin = project.plugins.find_plugin(name, plugin_type=PluginType(plugin_type))
    except PluginNotFoundError as exc:
        raise KeyError(name) from exc
    return plugin, PluginSettingsService(project, plugin)


def _card_text(root: Path, plugin: Any) -> tuple[str, str]:
    """Label and description: the plugin's own, else its tap folder's meltano-hub.yml."""
    label = plugin.label if plugin.label and plugin.label != plugin.name else ""
    description = getattr(plugin, "description", None) or ""
    pip_url = str(plugin.pip_url or "")
    if (not label or not description) and pip_url.startswith("-e "):
        hub_file = root / pip_url.removeprefix("-e ").strip() / "meltano-hub.yml"
        if hub_file.is_file():
            hub = _yaml().load(hub_file.read_text()) or {}
            label = label or str(hub.get("label") or "")
            description = description or str(hub.get("description") or "")
    if plugin.inherit_from and not description:
        description = f"Same as {plugin.inherit_from}, with its own selection and state."
    # Last resort: the name without its tap- prefix ("tap-okendo" -> "Okendo").
    return label or plugin.name.removeprefix("tap-").replace("-", " ").capitalize(), description


def _to_setting(name: str, meta: dict[str, Any], env_var: str) -> Setting:
    definition = meta.get("setting")
    kind = str(getattr(definition, "kind", None) or "string").lower().split(".")[-1]
    secret = bool(definition is not None and definition.is_redacted)
    options = tuple(
        (str(o.get("value")), str(o.get("label") or o.get("value")))
        for o in (getattr(definition, "options", None) or [])
    )
    return Setting(
        name=name,
        label=str(getattr(definition, "label", None) or name),
        kind="password" if secret else kind,
        description=str(getattr(definition, "description", None) or ""),
        secret=secret,
        value=meta.get("value"),
        source=str(getattr(meta.get("source"), "value", meta.get("source"))),
        env_var=env_var,
        options=options,
        stored=meta.get("unexpanded_value", meta.get("value")),
    )


def _describe(root: Path, plugin: Any, service: Any) -> Plugin:
    config = service.config_with_metadata(extras=False)  # extras (_select...) cost 10x
    settings = tuple(
        _to_setting(name, meta, service.setting_env(meta["setting"]))
        for name, meta in config.items()
        if not name.startswith("_") and meta.get("setting") is not None
    )
    label, description = _card_text(root, plugin)
    select = service.get("_select") or []
    return Plugin(
        name=plugin.name,
        label=label,
        description=description,
        load_schema=plugin.extras.get("load_schema"),
        inherit_from=plugin.inherit_from,
        settings=settings,
        required_groups=tuple(tuple(g) for g in (plugin.settings_group_validation or [])),
        select=tuple(str(r) for r in select),
    )


# Resolving settings through Meltano costs about 0.2 s per plugin; the list page is polled
# while a source syncs, so answers are kept (per plugin) until a project file or `.env`
# changes. `complete` says whether every extractor is in, in the project's order.
@dataclass
class _Cached:
    stamp: tuple[tuple[str, int, int], ...]
    plugins: dict[str, Plugin]
    complete: bool = False


_CACHE: dict[Path, _Cached] = {}


# Top-level keys that can change a plugin's settings; a file with none of them (one holding
# only jobs and schedules) leaves the answers valid, so pausing does not cost a re-read.
_SETTINGS_KEYS = re.compile(r"^(plugins|environments|default_environment|include_paths):", re.M)


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    stamps = []
    for path in [*project_files(root), root / ".env"]:
        try:
            stat = path.stat()
            if path.suffix in {".yml", ".yaml"} and not _SETTINGS_KEYS.search(path.read_text()):
                continue
        except FileNotFoundError:
            continue
        stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def _cache(root: Path) -> _Cached:
    stamp = _stamp(root)
    cached = _CACHE.get(root)
    if cached is None or cached.stamp != stamp:
        cached = _CACHE[root] = _Cached(stamp, {})
    return cached


def _resolve(root: Path, only: str | None) -> dict[str, Plugin]:
    """Extractors (all, or just `only`) described through Meltano, in project order."""
    from meltano.core.plugin import PluginType

    with _meltano(root) as project:
        found = project.plugins.get_plugins_of_type(PluginType.EXTRACTORS)
        by_name = {plugin.name: plugin for plugin in found}
        wanted = [by_name[only]] if only in by_name else [] if only else found
        out = {}
        for plugin in wanted:
            described = _describe(root, plugin, _plugin_service(project, plugin.name)[1])
            parent = by_name.get(plugin.inherit_from or "")
            if parent is not None:  # "Okendo (survey backfill)", not the plugin's name
                rest = plugin.name.removeprefix(parent.name).strip("-").replace("-", " ")
                label = _card_text(root, parent)[0]
                described = replace(described, label=f"{label} ({rest})" if rest else label)
            out[plugin.name] = described
        return out


def extractors(root: Path) -> list[Plugin]:
    """Every extractor of the project, as the catalog lists them."""
    cached = _cache(root)
    if not cached.complete:
        cached.plugins = _resolve(root, None)
        cached.complete = True
    return list(cached.plugins.values())


def extractor(root: Path, name: str) -> Plugin:
    """One extractor; KeyError if the project has none of that name."""
    cached = _cache(root)
    if name not in cached.plugins and not cached.complete:
        cached.plugins.update(_resolve(root, name))
    try:
        return cached.plugins[name]
    except KeyError:
        raise KeyError(name) from None


def loader_setting(root: Path, loader: str, name: str) -> Any:
    with _meltano(root) as project:
        _, service = _plugin_service(project, loader, "loaders")
        return service.get(name)


# -- writing ------------------------------------------------------------------------------


def parse_value(setting: Setting, raw: str) -> Any:
    """The typed value for what was typed into the form, or SettingsError."""
    text = raw.strip()
    if not setting.secret and _ENV_REFERENCE.search(text):
        raise SettingsError(
            f"{setting.label} cannot hold $NAME or ${{NAME}}: Meltano would replace it with an "
            "environment variable's value. Type the value itself."
        )
    if setting.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise SettingsError(f"{setting.label} must be a whole number, not {text!r}.") from None
    if setting.kind == "decimal":
        try:
            return float(text)
        except ValueError:
            raise SettingsError(f"{setting.label} must be a number, not {text!r}.") from None
    if setting.kind == "boolean":
        return text.lower() in {"true", "on", "1", "yes"}
    if setting.kind in {"array", "object"}:
        if setting.kind == "array" and not text.startswith("["):
            return [part.strip() for part in text.split(",") if part.strip()]
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            shape = "a JSON list or comma-separated values" if setting.kind == "array" else "JSON"
            raise SettingsError(f"{setting.label} must be {shape}.") from None
        if not isinstance(value, list if setting.kind == "array" else dict):
            raise SettingsError(f"{setting.label} must be a JSON {setting.kind}.")
        return value
    if setting.kind == "options" and setting.options and text not in dict(setting.options):
        allowed = ", ".join(v for v, _ in setting.options)
        raise SettingsError(f"{setting.label} must be one of: {allowed}.")
    return text


def save(root: Path, name: str, form: dict[str, str]) -> list[str]:
    """Store what the form changed; returns the names of the settings written.

    A blank secret keeps the stored one (secrets are never sent back to the browser); a
    blank non-secret removes the stored value so the default applies again. Values equal to
    what a run would already get are not written. All fields are checked before anything is
    written, so a bad value changes nothing.
    """
    plugin = extractor(root, name)
    plans: list[tuple[Setting, Any]] = []  # (setting, new value or None to unset)
    for setting in plugin.settings:
        if setting.name not in form:  # not on the form: left as it is
            continue
        raw = form.get(setting.name, "")
        if setting.secret:
            if raw.strip():
                plans.append((setting, raw.strip()))
            continue
        if not raw.strip():
            if setting.source in {"meltano_environment", "meltano_yml"}:
                plans.append((setting, None))
            continue
        if raw.strip() == setting.display:  # sent back as shown (a stored reference too)
            continue
        value = parse_value(setting, raw)
        if value != setting.stored:
            plans.append((setting, value))
    _check_host_change(plugin, plans)
    secrets = {s.name: v for s, v in plans if s.secret}
    plain = {s.name: v for s, v in plans if not s.secret}
    if plain:
        _write_config(root, name, plain)
    if secrets:
        _write_secrets(root, name, secrets)
    return [s.name for s, _ in plans]


# -- stream selection ---------------------------------------------------------------------


def streams(root: Path, name: str) -> list[str]:
    """The tap's streams, from the catalog Meltano kept from its last discovery (a Save and
    Test or a run): [] before the first. Read from the file, not by running discovery."""
    catalog = root / ".meltano" / "run" / name / "tap.properties.json"
    try:
        data = json.loads(catalog.read_text())
    except (FileNotFoundError, ValueError):
        return []
    found = [str(s.get("tap_stream_id") or s.get("stream")) for s in data.get("streams") or []]
    return sorted(dict.fromkeys(n for n in found if n and n != "None"))


def _stream_of(rule: str) -> str:
    return rule.removeprefix("!").split(".", 1)[0]


def is_selected(rules: tuple[str, ...] | list[str], stream: str) -> bool:
    """Meltano's reading of `select` for a whole stream: a positive rule's stream pattern
    matches it, and no `!stream.*` exclusion does."""
    positive = [r for r in rules if not r.startswith("!")]
    excluded = [r for r in rules if r.startswith("!") and r.endswith(".*")]
    return any(fnmatch(stream, _stream_of(r)) for r in positive) and not any(
        fnmatch(stream, _stream_of(r)) for r in excluded
    )


def choose_streams(root: Path, name: str, chosen: list[str]) -> list[str]:
    """Store which streams sync as Meltano `select` rules in the active environment (what
    `meltano select` would write there), keeping the project's own property-level rules for
    the streams still chosen. Returns the rules written."""
    plugin = extractor(root, name)
    known = streams(root, name)
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise SettingsError(f"There is no stream called '{unknown[0]}' in {plugin.label}.")
    if not chosen:
        raise SettingsError("Choose at least one stream (or Pause the source).")
    current = list(plugin.select)
    keep = [
        r
        for r in current
        if not r.startswith("!") and any(fnmatch(s, _stream_of(r)) for s in chosen)
    ]
    add = [f"{s}.*" for s in chosen if not any(fnmatch(s, _stream_of(r)) for r in keep)]
    negatives = [
        r
        for r in current
        if r.startswith("!") and not (r.endswith(".*") and _stream_of(r) in chosen)
    ]
    exclude = [
        f"!{s}.*" for s in known if s not in chosen and is_selected([*keep, *add, *negatives], s)
    ]
    rules = list(dict.fromkeys([*keep, *add, *negatives, *exclude]))
    _write_config(root, name, {}, select=rules)
    return rules


def restore(root: Path, before: Plugin, names: list[str]) -> None:
    """Put the settings `names` back as they were in `before` (a failed Save and Test on a
    working source): each value back in the store it came from, or removed from the store
    Save wrote it to when it came from elsewhere (a default, the plugin's definition)."""
    previous = {s.name: s for s in before.settings if s.name in names}
    secrets = {
        n: s.value if s.source == "dotenv" else None for n, s in previous.items() if s.secret
    }
    plain = {
        n: s.stored if s.source in {"meltano_environment", "meltano_yml"} else None
        for n, s in previous.items()
        if not s.secret
    }
    if plain:
        _write_config(root, before.name, plain)
    if secrets:
        _write_secrets(root, before.name, secrets)


def _host(value: Any) -> str:
    text = str(value or "").strip().lower()
    return urlparse(text).netloc if "://" in text else text


def _check_host_change(plugin: Plugin, plans: list[tuple[Setting, Any]]) -> None:
    """Refuse a new API host unless every stored secret is typed again with it: the stored
    key was given for the old host, and a run would send it to the new one."""
    moved = [s for s, v in plans if s.addresses_a_host and _host(v) != _host(s.value)]
    if not moved or not any(_host(s.value) for s in moved):
        return
    typed = {s.name for s, _ in plans if s.secret}
    again = [s.label for s in plugin.settings if s.secret and s.is_set and s.name not in typed]
    if again:
        names = " and ".join(again)
        ones = "ones are" if len(again) > 1 else "one is"
        raise SettingsError(
            f"The {moved[0].label} now points at another host: type {names} again, so the "
            f"stored {ones} never sent there."
        )


def forget(root: Path, name: str) -> None:
    """Remove every value stored for the source (Disconnect); loaded data is not touched.

    Every setting is removed from the environment's config and from `.env`, not only the
    ones that win now: a value hidden behind another store would otherwise resurface.
    """
    plugin = extractor(root, name)
    _write_config(root, name, dict.fromkeys(s.name for s in plugin.settings), create=False)
    in_dotenv = set(dotenv_values(root / ".env")) if (root / ".env").exists() else set()
    stored = [s.name for s in plugin.settings if s.env_var in in_dotenv]
    if stored:
        _write_secrets(root, name, dict.fromkeys(stored))


def _write_secrets(root: Path, name: str, values: dict[str, Any]) -> None:
    """Secrets into `.env` through Meltano's dotenv store (None unsets)."""
    from meltano.core.settings_store import SettingValueStore

    with _meltano(root) as project:
        _, service = _plugin_service(project, name)
        for key, value in values.items():
            if value is None:
                service.unset(key, store=SettingValueStore.DOTENV)
            else:
                service.set(key, value, store=SettingValueStore.DOTENV)
    dotenv = root / ".env"
    if dotenv.exists():
        dotenv.chmod(0o600)  # secrets: readable by the owner only


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, key order and quoting survive
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def project_files(root: Path) -> list[Path]:
    """meltano.yml and the files its include_paths name, in Meltano's order."""
    doc = _yaml().load((root / "meltano.yml").read_text()) or {}
    files = [root / "meltano.yml"]
    for pattern in doc.get("include_paths") or []:
        files.extend(sorted(root.glob(str(pattern).removeprefix("./"))))
    return files


def _named(seq: Any, name: str) -> Any:
    if isinstance(seq, list):
        for item in seq:
            if isinstance(item, dict) and item.get("name") == name:
                return item
    return None


def _write_config(
    root: Path,
    name: str,
    values: dict[str, Any],
    *,
    create: bool = True,
    select: list[str] | None = None,
) -> None:
    """Non-secret values into the active environment's config (else the plugin's own);
    `select`, when given, as the plugin's `select` rules there."""
    env_name = active_environment(root)
    yaml = _yaml()
    for path in project_files(root):
        doc = yaml.load(path.read_text())
        env = _named((doc or {}).get("environments"), env_name) if env_name else None
        if env is None:
            continue
        config = env.setdefault("config", CommentedMap())
        plugins = config.setdefault("plugins", CommentedMap())
        extractors_seq = plugins.setdefault("extractors", CommentedSeq())
        entry = _named(extractors_seq, name)
        if entry is None and not create:
            return
        if entry is None:
            entry = CommentedMap(name=name)
            extractors_seq.append(entry)
        if values:
            _apply(entry, values)
        if select is not None:
            entry["select"] = CommentedSeq(select)
        _dump(yaml, doc, path)
        return
    for path in project_files(root):  # no environment: the plugin definition itself
        doc = yaml.load(path.read_text())
        entry = _named(((doc or {}).get("plugins") or {}).get("extractors"), name)
        if entry is not None:
            if values:
                _apply(entry, values)
            if select is not None:
                entry["select"] = CommentedSeq(select)
            _dump(yaml, doc, path)
            return
    raise KeyError(name)


def _apply(entry: CommentedMap, values: dict[str, Any]) -> None:
    """Set (or, for None, remove) keys of the entry's `config`, dropping it when empty.

    A comment written after a removed key (often the one introducing the next plugin) moves
    to what now comes last, so removing values never removes the project's comments.
    """
    config = entry.setdefault("config", CommentedMap())
    orphans: list[Any] = []
    for key, value in values.items():
        if value is None:
            if key in config:
                slot = config.ca.items.pop(key, None)
                if slot and len(slot) > 2 and slot[2] is not None:
                    orphans.append(slot[2])
                del config[key]
        else:
            config[key] = value
    if not config:
        slot = entry.ca.items.pop("config", None)
        if slot and len(slot) > 2 and slot[2] is not None:
            orphans.append(slot[2])
        del entry["config"]
    for token in orphans:
        _rehome(entry, token)


def _rehome(node: Any, token: Any) -> None:
    """Attach a trailing comment after the deepest last scalar of `node`."""
    while True:
        if isinstance(node, CommentedMap) and node:
            last = list(node)[-1]
            child = node[last]
            if isinstance(child, CommentedMap | CommentedSeq) and child:
                node = child
                continue
            slot = node.ca.items.setdefault(last, [None, None, None, None])
            if slot[2] is None:
                slot[2] = token
            else:  # keep both, in order
                slot[2].value = slot[2].value.rstrip("\n") + "\n" + token.value.lstrip("\n")
            return
        if isinstance(node, CommentedSeq) and node and isinstance(node[-1], CommentedMap):
            node = node[-1]
            continue
        return  # nowhere sensible to put it: a flow value or an empty node


def _dump(yaml: YAML, doc: Any, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w") as out:
        yaml.dump(doc, out)
    tmp.replace(path)  # atomic: a concurrent meltano never reads half a file
