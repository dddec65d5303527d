"""The `newsmon classify` JSONL contract."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

from pipeline.app.cli import classify_stream
from pipeline.core.topics import TOPICS

GOOD = {
    "id": "a1",
    "title": "US and India agree to cut tariffs on farm goods",
    "summary": "Negotiators from Washington and New Delhi reached an interim trade deal.",
}
OTHER = {"id": "b2", "title": "Pacers win in Indianapolis", "summary": "Indiana's team beat Boston."}


def run(lines: list[str]) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = classify_stream(io.StringIO("".join(line + "\n" for line in lines)), out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_per_input_in_order_with_contract_fields() -> None:
    code, out = run([json.dumps(GOOD), json.dumps(OTHER)])
    assert code == 0
    assert [o["id"] for o in out] == ["a1", "b2"]
    first, second = out
    assert first["relevant"] is True and second["relevant"] is False
    for o in out:
        assert 0.0 <= float(o["relevance_score"]) <= 1.0
        assert set(o["topics"]) <= set(TOPICS)
        assert isinstance(o["evidence"], dict)
    assert "trade" in first["topics"]


def test_bad_lines_get_an_error_object_and_a_nonzero_exit_but_good_lines_still_run() -> None:
    code, out = run(
        [
            "{not json",
            json.dumps(GOOD),
            json.dumps({"title": "no id"}),
            "[1, 2]",
            json.dumps({"id": 5, "title": "x", "summary": 3}),
        ]
    )
    assert code == 1
    assert len(out) == 5
    assert out[0]["line"] == 1 and "error" in out[0]
    assert out[1]["id"] == "a1" and out[1]["relevant"] is True
    assert all("error" in o for o in (out[2], out[3], out[4]))


def test_console_script_end_to_end() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", "classify"],
        input=json.dumps(GOOD) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == "a1"
