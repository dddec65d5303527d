"""Which implementation of the detector's hot modules runs: compiled by mypyc, or the Python sources.

The modules of :data:`COMPILED_MODULES` are plain, type-checked Python; ``python -m
pipeline.devtools.compile_detector`` (run by ``deploy/local/install.sh``) compiles them with mypyc into
extension modules next to the sources, about a third faster on a real stream's mix, with the same
verdicts byte for byte (``tests/unit/test_detect_compiled.py`` compares the two). The sources stay the
reference and the fallback: where nothing was compiled (a Beam worker elsewhere, a machine without a C
compiler) they are what Python imports anyway.

A compiled module next to its source would shadow that source after an edit, so the build writes a
stamp (:data:`STAMP_FILE`) with a digest of every source the compiled code was built from. On import
of :mod:`pipeline.detect`, :func:`install` compares it with the sources on disk; when any differs,
or ``NEWSMON_PURE_PYTHON`` is set, an import hook makes Python load the sources of all the compiled
modules instead (never a mix: compiled modules call each other directly), and a changed source is
logged as a warning naming the file and the command that rebuilds. :func:`status` says which runs.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Final

COMPILED_MODULES: Final = ("matcher", "tally", "scoring", "stage2", "classifier")
STAMP_FILE: Final = "compiled.json"
PURE_ENV: Final = "NEWSMON_PURE_PYTHON"
REBUILD: Final = "python -m pipeline.devtools.compile_detector"
PACKAGE: Final = "pipeline.detect"
HERE: Final = Path(__file__).resolve().parent
# What compiled code may have taken constants or types from: the detector package and the core model.
SOURCE_DIRS: Final = (HERE, HERE.parent / "core")

_log = logging.getLogger(__name__)
_state: Final = {"status": "pure Python (not yet checked)"}


def sources(root: Path = HERE.parent.parent) -> dict[str, str]:
    """sha256 of every source the compiled modules are built from, by path relative to ``root``."""
    digests = {}
    for folder in SOURCE_DIRS:
        for path in sorted(folder.rglob("*.py")):
            if path.name == "compiled.py":
                continue  # this module is never compiled and decides nothing the compiled code reads
            digests[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def extension_files(folder: Path = HERE) -> list[Path]:
    """The compiled extension modules present in ``folder`` (the group library and one per module)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return sorted(p for p in folder.iterdir() if p.name.endswith(suffixes))


def stale_reason(stamp: dict[str, object] | None, current: dict[str, str]) -> str | None:
    """Why compiled modules built with ``stamp`` must not run against sources ``current`` (None: they may)."""
    if stamp is None:
        return f"no {STAMP_FILE}: built by another tool"
    built = stamp.get("sources")
    if not isinstance(built, dict):
        return f"{STAMP_FILE} lists no sources"
    changed = sorted(name for name in current.keys() | built.keys() if built.get(name) != current.get(name))
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        return f"changed since compiled: {shown}"
    return None


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the Python source of each compiled module, ahead of the extension module beside it."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in COMPILED_MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


def install() -> str:
    """Decide which implementation runs (see the module docstring); return :func:`status`."""
    if not extension_files():
        _state["status"] = "pure Python (not compiled)"
        return _state["status"]
    reason: str | None
    if os.environ.get(PURE_ENV):
        reason = f"{PURE_ENV} is set"
    else:
        try:
            stamp = json.loads((HERE / STAMP_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stamp = None
        reason = stale_reason(stamp, sources())
        if reason is not None:
            _log.warning("compiled detector not used, %s; rebuild with: %s", reason, REBUILD)
    if reason is None:
        _state["status"] = "compiled (mypyc)"
    else:
        _state["status"] = f"pure Python ({reason})"
        if not any(isinstance(finder, _Sources) for finder in sys.meta_path):
            sys.meta_path.insert(0, _Sources())
    return _state["status"]


def status() -> str:
    """``compiled (mypyc)`` or ``pure Python (why)``: which implementation this process runs."""
    return _state["status"]
