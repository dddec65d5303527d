"""Compile the detector's hot modules with mypyc, next to their sources (see :mod:`pipeline.detect.compiled`).

    python -m pipeline.devtools.compile_detector           # build, unless the build is current
    python -m pipeline.devtools.compile_detector --force   # build anyway
    python -m pipeline.devtools.compile_detector --clean   # remove the compiled modules: pure Python

Needs mypy (a dev dependency: mypyc ships with it) and a C compiler. Builds in a temporary folder, then
moves the extension modules into ``pipeline/detect/`` and writes the stamp that lets them run; a failed
build changes nothing, and the pure-Python modules keep working. Prints what it did; exit status 1 when
the build failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.detect import compiled

ROOT = compiled.HERE.parent.parent
GROUP = f"{compiled.PACKAGE}.native"  # the shared library of the compiled group: pipeline/detect/native__mypyc
# Run in a child process: setuptools and mypyc leave state behind, and the build must see the sources on
# disk, not the modules this process imported.
_BUILD = """
import sys
from setuptools import setup
from mypyc.build import mypycify
paths, group, out = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
modules = mypycify(paths, opt_level="3", group_name=group, target_dir=out + "/c")
setup(name="newsmon-detector", ext_modules=modules, script_args=[
    "build_ext", "--build-lib", out + "/lib", "--build-temp", out + "/tmp", "--quiet"])
"""


def current() -> bool:
    """Whether compiled modules are present and built from the sources on disk."""
    if not compiled.extension_files():
        return False
    try:
        stamp = json.loads((compiled.HERE / compiled.STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return compiled.stale_reason(stamp, compiled.sources(ROOT)) is None


def clean() -> list[Path]:
    """Remove the compiled modules and their stamp; return what was removed."""
    removed = compiled.extension_files()
    stamp = compiled.HERE / compiled.STAMP_FILE
    if stamp.exists():
        removed.append(stamp)
    for path in removed:
        path.unlink()
    return removed


def build() -> list[Path]:
    """Compile :data:`~pipeline.detect.compiled.COMPILED_MODULES`; return the installed extension files.

    Raises ``RuntimeError`` with the compiler's last output lines when the build fails.
    """
    digests = compiled.sources(ROOT)  # before building: a source edited during the build makes the stamp stale
    paths = ",".join(f"pipeline/detect/{name}.py" for name in compiled.COMPILED_MODULES)
    with tempfile.TemporaryDirectory(prefix="newsmon-mypyc-") as out:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", _BUILD, paths, GROUP, out],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise RuntimeError(f"mypyc build failed (exit {done.returncode}):\n{tail}")
        built = compiled.extension_files(Path(out) / "lib" / "pipeline" / "detect")
        names = {path.name.split(".", 1)[0] for path in built}
        expected = {*compiled.COMPILED_MODULES, GROUP.rpartition(".")[2] + "__mypyc"}
        if names != expected:
            raise RuntimeError(f"mypyc built {sorted(names)}, expected {sorted(expected)}")
        clean()
        installed = []
        for path in built:
            target = compiled.HERE / path.name
            shutil.copy2(path, target)
            installed.append(target)
    stamp = {"sources": digests, "python": sys.version.split()[0], "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    (compiled.HERE / compiled.STAMP_FILE).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
    return installed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--force", action="store_true", help="build even when the build is current")
    group.add_argument("--clean", action="store_true", help="remove the compiled modules (pure Python)")
    args = parser.parse_args(argv)
    if args.clean:
        removed = clean()
        print(f"removed {len(removed)} files; the detector runs its Python sources")
        return 0
    if not args.force and current():
        print(f"compiled detector is current ({', '.join(compiled.COMPILED_MODULES)})")
        return 0
    started = time.monotonic()
    print(f"compiling {', '.join(compiled.COMPILED_MODULES)} with mypyc (about a minute on 2 cores)...", flush=True)
    try:
        installed = build()
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}\nthe detector keeps running its Python sources", file=sys.stderr)
        return 1
    print(f"installed {len(installed)} extension modules in {compiled.HERE} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
