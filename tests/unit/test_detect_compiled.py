"""pipeline.detect.compiled: the mypyc-compiled hot modules give the Python sources' verdicts, and never
run against sources they were not built from."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.detect import classify, compiled
from pipeline.devtools.evaluate import load_gold

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]
# Every verdict, every field, key order kept, for the written sets (with and without a given language).
_VERDICTS = """
import dataclasses, json, sys
from pipeline.detect import classify, compiled
from pipeline.devtools.evaluate import load_gold
items = [i for f in sys.argv[1:] for i in load_gold(f)]
print(compiled.status())
for i in items:
    for language in (None, "en"):
        print(json.dumps(dataclasses.asdict(classify(i.title, i.summary, i.body, language)), ensure_ascii=False))
"""


def _verdicts(pure: bool) -> tuple[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(compiled.PURE_ENV, None)
    if pure:
        env[compiled.PURE_ENV] = "1"
    files = [str(DATA / "dev.jsonl"), str(DATA / "holdout.jsonl")]
    out = subprocess.run(
        [sys.executable, "-c", _VERDICTS, *files], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    return out[0], out[1:]


def test_compiled_and_pure_python_give_the_same_verdicts_byte_for_byte() -> None:
    status, ours = _verdicts(pure=False)
    pure_status, theirs = _verdicts(pure=True)
    assert pure_status in (f"pure Python ({compiled.PURE_ENV} is set)", "pure Python (not compiled)")
    assert len(ours) == 2 * 599 and ours == theirs, status
    # A built detector (deploy/local/install.sh builds one) is current and in use: a stale or broken build
    # would otherwise fall back to the sources without anyone noticing.
    if (compiled.HERE / compiled.STAMP_FILE).exists():
        assert status == "compiled (mypyc)", status
    else:
        assert status == "pure Python (not compiled)", status


def test_this_process_reports_what_it_runs() -> None:
    assert compiled.status().startswith(("compiled (mypyc)", "pure Python ("))
    item = load_gold(DATA / "holdout.jsonl")[0]
    once = dataclasses.asdict(classify(item.title, item.summary, item.body))
    assert json.dumps(once)  # a verdict, whichever implementation made it


def test_a_changed_source_makes_a_build_stale() -> None:
    current = {"pipeline/detect/tally.py": "a", "pipeline/core/model.py": "b"}
    assert compiled.stale_reason({"sources": dict(current)}, current) is None
    assert compiled.stale_reason(None, current) == "no compiled.json: built by another tool"
    assert compiled.stale_reason({}, current) == "compiled.json lists no sources"
    edited = {**current, "pipeline/detect/tally.py": "c"}
    assert compiled.stale_reason({"sources": current}, edited) == "changed since compiled: pipeline/detect/tally.py"
    added = {**current, "pipeline/detect/new.py": "d"}
    assert "pipeline/detect/new.py" in (compiled.stale_reason({"sources": current}, added) or "")
    many = {f"pipeline/detect/m{i}.py": "x" for i in range(5)}
    assert compiled.stale_reason({"sources": {}}, many) == (
        "changed since compiled: pipeline/detect/m0.py, pipeline/detect/m1.py, pipeline/detect/m2.py and 2 more"
    )


def test_sources_cover_every_module_compiled_code_can_read() -> None:
    digests = compiled.sources()
    for name in compiled.COMPILED_MODULES:
        assert f"pipeline/detect/{name}.py" in digests
    assert "pipeline/detect/terms.py" in digests and "pipeline/detect/lexicon/en_actors.py" in digests
    assert "pipeline/core/model.py" in digests
    assert all(len(value) == 64 for value in digests.values())


def test_a_stale_build_loads_every_compiled_module_from_its_source(tmp_path: Path) -> None:
    # A copy of the package with a stamp that matches nothing: the import hook must load the sources.
    package = tmp_path / "pipeline"
    subprocess.run(["cp", "-r", str(ROOT / "pipeline"), str(package)], check=True)
    detect = package / "detect"
    (detect / compiled.STAMP_FILE).write_text(json.dumps({"sources": {}}))
    (detect / "native__mypyc.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")  # looks built, is not loadable
    code = (
        "import pipeline.detect as d, pipeline.detect.tally as t, pipeline.detect.classifier as c\n"
        "print(d.compiled.status()); print(t.__file__); print(c.__file__)"
    )
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_ENV}
    env["PYTHONPATH"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=tmp_path
    )
    status, tally_file, classifier_file = done.stdout.splitlines()
    assert status.startswith("pure Python (changed since compiled: "), status
    assert tally_file == str(detect / "tally.py") and classifier_file == str(detect / "classifier.py")
    assert "rebuild with: python -m pipeline.devtools.compile_detector" in done.stderr
