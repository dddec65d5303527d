"""Logging set-up: JSON lines in service mode, readable text otherwise.

Only the CLI calls :func:`configure`. Context such as ``feed_url`` or
``article_id`` is passed with ``extra=`` and becomes JSON fields. A line whose
message already says everything its fields hold (the progress line) passes
``SAID`` among them too: text mode then shows the message alone.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Never let these reach a log line, whatever a caller passes in ``extra``.
_SECRET_KEYS = {"password", "api_key", "authorization", "token", "secret"}
SAID = {"_fields_in_message": True}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = "[redacted]" if key.lower() in _SECRET_KEYS else value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if getattr(record, "_fields_in_message", False):
            return text
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD and not k.startswith("_") and k.lower() not in _SECRET_KEYS
        }
        return text + ("  " + " ".join(f"{k}={v}" for k, v in extras.items()) if extras else "")


def configure(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Beam and the gRPC stack are chatty at INFO; their warnings still show.
    for noisy in ("apache_beam", "PrismRunner", "urllib3", "elastic_transport"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # opensearch-py logs every non-2xx answer as a warning, including the 404s and 409s that
    # newsmon expects (absent template, article already indexed); newsmon logs what matters itself.
    logging.getLogger("opensearch").setLevel(max(logging.ERROR, root.level))
