from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.core.config import load_feeds, parse_duration, parse_feeds, search_settings
from pipeline.core.errors import ConfigError


def test_valid_file(tmp_path: Path) -> None:
    p = tmp_path / "feeds.yaml"
    p.write_text(
        "defaults: {interval: 5m, language: en}\nfeeds:\n"
        "  - url: https://a.example/rss\n    name: A\n    tags: [india]\n"
        "  - url: http://b.example/atom\n    interval: 90s\n    language: hi\n"
    )
    a, b = load_feeds(p)
    assert (a.url, a.name, a.interval_s, a.language, a.tags) == ("https://a.example/rss", "A", 300.0, "en", ("india",))
    assert (b.name, b.interval_s, b.language) == ("b.example", 90.0, "hi")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"feeds": [{"url": "ftp://x/y"}]}, "feeds[0].url"),
        ({"feeds": [{"name": "no url"}]}, "feeds[0].url: missing"),
        ({"feeds": [{"url": "https://a/x", "interval": "soon"}]}, "feeds[0].interval"),
        ({"feeds": [{"url": "https://a/x", "interval": 0}]}, "too short"),
        ({"feeds": [{"url": "https://a/x", "colour": "red"}]}, "unknown field"),
        ({"feeds": [{"url": "https://a/x", "language": "english!"}]}, "feeds[0].language"),
        ({"feeds": [{"url": "https://a/x"}, {"url": "https://a/x"}]}, "repeats feeds[0]"),
        ({"feeds": []}, "non-empty list"),
        ({"sources": []}, "'feeds' list"),
        ({"feeds": ["https://a/x"]}, "expected a mapping"),
    ],
)
def test_invalid_configuration_names_field_and_fix(data: object, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_feeds(data, "my-feeds.yaml")
    assert needle in str(err.value)
    assert "my-feeds.yaml" in str(err.value)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    p = tmp_path / "feeds.yaml"
    p.write_text("feeds:\n  - url: [unclosed\n")
    with pytest.raises(ConfigError, match=r"feeds.yaml \(line \d+"):
        load_feeds(p)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_feeds("/nonexistent/feeds.yaml")


@pytest.mark.parametrize(
    ("raw", "seconds"), [(300, 300.0), ("90s", 90.0), ("5m", 300.0), ("1h", 3600.0), ("1500ms", 1.5)]
)
def test_durations(raw: object, seconds: float) -> None:
    assert parse_duration(raw, "x") == seconds


def test_secrets_from_env_or_file_and_not_in_repr(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("s3cret-from-file\n")
    s = search_settings({"ELASTICSEARCH_URL": "https://es:9200", "ELASTICSEARCH_API_KEY_FILE": str(key_file)})
    assert s.api_key == "s3cret-from-file"
    assert "s3cret" not in repr(s)
    with pytest.raises(ConfigError, match="NEWSMON_SEARCH_ENGINE"):
        search_settings({"NEWSMON_SEARCH_ENGINE": "solr"})
    with pytest.raises(ConfigError, match="ELASTICSEARCH_URL"):
        search_settings({"ELASTICSEARCH_URL": "es:9200"})


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        *[(s, True) for s in ("1", "true", "yes", "on", "TRUE", " On ")],
        *[(s, False) for s in ("0", "false", "no", "off", "OFF", " No ")],
        ("", None),
        ("   ", None),  # unset: the default
    ],
)
def test_every_yes_no_variable_is_read_by_one_function(raw: str, value: bool | None) -> None:
    from pipeline.core.config import env_bool

    assert env_bool({"NEWSMON_X": raw}, "NEWSMON_X", True) is (True if value is None else value)
    assert env_bool({"NEWSMON_X": raw}, "NEWSMON_X", False) is (False if value is None else value)


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "y", "nope", "-1"])
def test_any_other_yes_no_value_is_an_error_naming_the_variable_and_the_spellings(raw: str) -> None:
    from pipeline.core.config import env_bool

    with pytest.raises(ConfigError, match=rf"NEWSMON_X='{re.escape(raw)}': fix: use one of 1, true, yes, on or 0"):
        env_bool({"NEWSMON_X": raw}, "NEWSMON_X", True)


def test_the_url_error_names_where_the_url_came_from() -> None:
    with pytest.raises(ConfigError, match=r"^NEWSMON_SEARCH_URL='engine:9200': not an http\(s\) URL — fix:"):
        search_settings({"NEWSMON_SEARCH_URL": "engine:9200"})
    with pytest.raises(ConfigError, match=r"^--search-url='ftp://x'"):
        search_settings({"ELASTICSEARCH_URL": "http://fine:9200"}, url="ftp://x")
    s = search_settings({"ELASTICSEARCH_URL": "http://e:9200", "NEWSMON_INDEX": "mine"}, index="theirs", index_all=True)
    assert (s.url, s.index, s.index_all) == ("http://e:9200", "theirs", True)


def test_choices_numbers_and_logging_from_the_environment() -> None:
    from pipeline.core.config import env_choice, log_settings, positive_float, progress_mode

    assert env_choice({"V": "JSON"}, "V", ("text", "json"), None) == "json"
    with pytest.raises(ConfigError, match=r"V='xml': fix: use one of text, json"):
        env_choice({"V": "xml"}, "V", ("text", "json"), None)
    assert log_settings({"NEWSMON_LOG_LEVEL": "debug"}) == log_settings({}, level="DEBUG")
    assert log_settings({"NEWSMON_LOG_FORMAT": "json"}, fmt="text").format == "text"  # the flag wins
    assert [progress_mode({"NEWSMON_PROGRESS": v}) for v in ("", "0", "off", "Bar", "lines")] == [
        None,
        "off",
        "off",
        "bar",
        "lines",
    ]
    assert positive_float({"S": "0.5"}, "S", 1.0, "1") == 0.5 and positive_float({}, "S", 1.0, "1") == 1.0
    for bad in ("0", "-2", "fast", "inf", "nan"):
        with pytest.raises(ConfigError, match=rf"S='{bad}': fix: use a number greater than 0"):
            positive_float({"S": bad}, "S", 1.0, "1")
