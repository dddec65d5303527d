"""Dead-letter file: one JSON line per rejected record, with stage, reason and original payload.

Lines can be inspected with ``jq`` and replayed (the payload is the original
document or entry). Every writer of one path in a process shares one lock
(``DeadLetterFile`` instances of the same path are views of one writer), so
long lines from different DoFns never interleave.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from pipeline.core.dates import to_iso, utc_now
from pipeline.core.model import Failure

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


class DeadLetterFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        self._lock = _lock_for(self.path)

    def write(self, failures: list[Failure]) -> None:
        if not failures:
            return
        now = to_iso(utc_now())
        lines = []
        for f in failures:
            record: dict[str, Any] = {"at": now, **f.to_dict()}
            lines.append(json.dumps(record, ensure_ascii=False))
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
