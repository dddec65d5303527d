"""Log lines: JSON keeps every field; text mode shows extras unless the message already says them."""

from __future__ import annotations

import json
import logging

from pipeline.telemetry.logs import SAID, JsonFormatter, TextFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "newsmon.progress", "levelno": logging.INFO, "levelname": "INFO", "msg": "last 10s: 3 feeds polled"}
    )
    record.__dict__.update(extra)
    return record


def test_text_mode_shows_extras_after_the_message() -> None:
    line = TextFormatter().format(_record(feed_url="http://x/rss", api_key="k"))
    assert line.endswith("last 10s: 3 feeds polled  feed_url=http://x/rss")  # never the secret


def test_a_message_that_says_its_fields_is_printed_alone_in_text_and_whole_in_json() -> None:
    record = _record(feeds_polled=3, **SAID)
    assert TextFormatter().format(record).endswith("last 10s: 3 feeds polled")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["feeds_polled"] == 3 and "_fields_in_message" not in entry
