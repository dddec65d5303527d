"""Configuration: ``feeds.yaml`` (what to poll) and environment settings (where to write).

Invalid configuration raises :class:`ConfigError` whose message names the
file, the field and the fix, so ``newsmon`` can stop at start-up with it.
Secrets come only from the environment (or files named there) and are never
included in ``repr`` or logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pipeline.core.errors import ConfigError
from pipeline.core.model import Feed

DEFAULT_INTERVAL_S = 300.0
MIN_INTERVAL_S = 1.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_FEED_KEYS = {"url", "name", "interval", "language", "tags"}


def parse_duration(value: object, where: str) -> float:
    """Seconds from ``300``, ``"90s"``, ``"5m"``, ``"1h"``."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not a duration — fix: write e.g. 300, '90s', '5m' or '1h'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ConfigError(f"{where}: {value!r} is not a duration — fix: write e.g. 300, '90s', '5m' or '1h'")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds < MIN_INTERVAL_S:
        raise ConfigError(f"{where}: {seconds:g}s is too short — fix: poll at most once per {MIN_INTERVAL_S:g}s")
    return seconds


def _feed(raw: object, index: int, defaults: Mapping[str, Any], path: str) -> Feed:
    where = f"{path}: feeds[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: expected a mapping with at least 'url', got {type(raw).__name__} — "
            "fix: write '- url: https://example.org/rss'"
        )
    unknown = set(raw) - _FEED_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)} — fix: use only {sorted(_FEED_KEYS)}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}.url: missing — fix: give the feed's http(s) address")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{where}.url: {url!r} is not an http(s) URL — fix: use the feed's http:// or https:// address"
        )
    name = raw.get("name") or parts.netloc
    if not isinstance(name, str):
        raise ConfigError(f"{where}.name: expected text, got {name!r} — fix: write e.g. 'name: The Hindu'")
    interval = parse_duration(raw.get("interval", defaults.get("interval", DEFAULT_INTERVAL_S)), f"{where}.interval")
    language = raw.get("language", defaults.get("language"))
    if language is not None and (not isinstance(language, str) or not re.fullmatch(r"[a-zA-Z]{2,3}(-\w+)?", language)):
        raise ConfigError(f"{where}.language: {language!r} is not a language code — fix: use e.g. 'en' or 'hi'")
    tags = raw.get("tags", defaults.get("tags", []))
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(
            f"{where}.tags: expected a list of strings, got {tags!r} — fix: write e.g. 'tags: [india, business]'"
        )
    return Feed(
        url=url.strip(),
        name=name.strip(),
        interval_s=interval,
        language=language.lower().split("-")[0] if language else None,
        tags=tuple(tags),
    )


def parse_feeds(data: object, path: str = "feeds.yaml") -> list[Feed]:
    """Validate the parsed YAML of a feeds file."""
    if not isinstance(data, Mapping) or "feeds" not in data:
        raise ConfigError(
            f"{path}: top level must be a mapping with a 'feeds' list — fix: start the file with 'feeds:'"
        )
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ConfigError(
            f"{path}: defaults: expected a mapping — fix: give it interval, language or tags, "
            "e.g. 'defaults: {interval: 5m}'"
        )
    raw_feeds = data["feeds"]
    if not isinstance(raw_feeds, list) or not raw_feeds:
        raise ConfigError(f"{path}: feeds: expected a non-empty list — fix: add at least one '- url: ...'")
    feeds = [_feed(raw, i, defaults, path) for i, raw in enumerate(raw_feeds)]
    seen: dict[str, int] = {}
    for i, f in enumerate(feeds):
        if f.url in seen:
            raise ConfigError(
                f"{path}: feeds[{i}].url: {f.url} repeats feeds[{seen[f.url]}] — fix: list each feed once"
            )
        seen[f.url] = i
    return feeds


def load_feeds(path: str | Path) -> list[Feed]:
    """Read and validate a feeds file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file — fix: pass --config with the path of your feeds.yaml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc} — fix: pass --config with a readable UTF-8 feeds.yaml") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(
            f"{p}{at}: not valid YAML: {getattr(exc, 'problem', exc)} — fix: correct that line "
            "(indentation, or quotes around a value holding ': ' or '#')"
        ) from None
    return parse_feeds(data, str(p))


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    if env.get(name):
        return env[name]
    file = env.get(f"{name}_FILE")
    if file:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{name}_FILE={file}: cannot read: {exc.strerror} — fix: point {name}_FILE at a "
                f"readable file holding the secret, or set {name} instead"
            ) from None
    return None


@dataclass(frozen=True)
class SearchSettings:
    """Where and how to write documents. ``repr`` never shows secrets."""

    url: str = "http://127.0.0.1:9200"
    index: str = "news-articles"
    engine: str = "auto"  # auto | opensearch | elasticsearch
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: str | None = None
    verify_certs: bool = True
    deadletter_path: str = "newsmon-deadletter.jsonl"
    index_all: bool = False  # index irrelevant articles too (relevant=false) instead of only relevant ones
    retention_days: int = 730  # article indices are deleted this long after creation (ILM/ISM)
    deadletter_index: bool = True  # also write dead letters to the news-deadletter index


def search_settings(
    env: Mapping[str, str] | None = None, *, url: str | None = None, index: str | None = None, index_all: bool = False
) -> SearchSettings:
    """The engine settings from the environment; ``url``/``index``/``index_all`` are command-line overrides."""
    env = os.environ if env is None else env
    engine = env_choice(env, "NEWSMON_SEARCH_ENGINE", ("auto", "opensearch", "elasticsearch"), None) or "auto"
    source, chosen = (
        ("--search-url", url)
        if url
        else next(
            ((name, env[name]) for name in ("ELASTICSEARCH_URL", "NEWSMON_SEARCH_URL") if env.get(name)),
            ("default", SearchSettings.url),
        )
    )
    parts = urlsplit(chosen)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{source}={chosen!r}: not an http(s) URL — fix: use e.g. http://127.0.0.1:9200")
    return SearchSettings(
        url=chosen,
        index=index or env.get("NEWSMON_INDEX") or SearchSettings.index,
        engine=engine,
        api_key=read_secret(env, "ELASTICSEARCH_API_KEY") or read_secret(env, "NEWSMON_SEARCH_API_KEY"),
        username=env.get("ELASTICSEARCH_USERNAME") or env.get("NEWSMON_SEARCH_USERNAME"),
        password=read_secret(env, "ELASTICSEARCH_PASSWORD") or read_secret(env, "NEWSMON_SEARCH_PASSWORD"),
        ca_certs=env.get("ELASTICSEARCH_CA_CERTS") or None,
        verify_certs=env_bool(env, "NEWSMON_SEARCH_VERIFY_CERTS", True),
        deadletter_path=env.get("NEWSMON_DEADLETTER_PATH") or SearchSettings.deadletter_path,
        index_all=index_all or env_bool(env, "NEWSMON_INDEX_ALL", False),
        retention_days=positive_int(env, "NEWSMON_RETENTION_DAYS", SearchSettings.retention_days),
        deadletter_index=env_bool(env, "NEWSMON_DEADLETTER_INDEX", True),
    )


REPO_PRISM = Path(__file__).resolve().parents[2] / ".cache" / "bin" / "prism"


def prism_binary(env: Mapping[str, str]) -> str:
    """The Prism runner binary: ``$NEWSMON_PRISM_LOCATION``, else the one ``deploy/local/install.sh`` built."""
    chosen = env.get("NEWSMON_PRISM_LOCATION")
    if chosen:
        if not os.access(chosen, os.X_OK) or not Path(chosen).is_file():
            raise ConfigError(
                f"NEWSMON_PRISM_LOCATION={chosen!r}: no executable file there — fix: point it at "
                "the prism binary (deploy/local/install.sh builds one in .cache/bin)"
            )
        return chosen
    if REPO_PRISM.exists():
        return str(REPO_PRISM)
    raise ConfigError(
        "Prism runner binary not found — fix: run deploy/local/install.sh or set "
        "NEWSMON_PRISM_LOCATION (newsmon never downloads it at run time)"
    )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
PROGRESS_MODES = ("bar", "lines", "off")


@dataclass(frozen=True)
class LogSettings:
    format: str | None  # None: the command's own default (json for `run`, text otherwise)
    level: str


def log_settings(env: Mapping[str, str], fmt: str | None = None, level: str | None = None) -> LogSettings:
    """Logging from ``--log-format``/``--log-level`` (already checked by the parser), else the environment."""
    return LogSettings(
        format=fmt or env_choice(env, "NEWSMON_LOG_FORMAT", LOG_FORMATS, None),
        level=(level or env_choice(env, "NEWSMON_LOG_LEVEL", LOG_LEVELS, None) or "INFO").upper(),
    )


def progress_mode(env: Mapping[str, str]) -> str | None:
    """``NEWSMON_PROGRESS``: bar, lines, or off (also 0 or false); None when unset (chosen per terminal)."""
    raw = (env.get("NEWSMON_PROGRESS") or "").strip().lower()
    if raw and raw in _FALSE:
        return "off"
    return env_choice(env, "NEWSMON_PROGRESS", PROGRESS_MODES, None)


def env_choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    """One of ``choices`` (case-insensitive) from the environment; anything else is an error naming them."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name}={raw!r}: fix: use one of {', '.join(choices)}")


def positive_float(env: Mapping[str, str], name: str, default: float, example: str) -> float:
    """A number above 0 from the environment (``example`` shows a good value in the error)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name}={raw!r}: fix: use a number greater than 0, e.g. {example}")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no variable (the only parser of them); anything but the usual spellings is an error,
    never a silent default."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={env.get(name)!r}: fix: use one of {', '.join(_TRUE)} or {', '.join(_FALSE)}")


def env_port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port number from the environment (0 allowed: disabled)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{name}={raw!r}: fix: use a port number from 0 (off) to 65535")
    return int(raw)


def positive_int(env: Mapping[str, str], name: str, default: int, unit: str = "days") -> int:
    """A whole number above 0 from the environment (``unit`` names it in the error)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name}={raw!r}: fix: use a whole number of {unit} greater than 0")
    return int(raw)
