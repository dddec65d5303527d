"""`newsmon backfill` on FlinkRunner gives the DirectRunner's documents.

The Flink run uses Beam's Flink job server (installed by
``deploy/local/install.sh flink`` under ``.cache/flink``) with an embedded
Flink (``--flink_master=[local]``) and the SDK harness in the CLI's own process
(``--environment_type=LOOPBACK``: FlinkRunner's default is DOCKER). Nothing is
downloaded at run time: the job server jar is a local path.

The inputs are a small fixed set that still exercises every stage on Flink:
copies of one feed (the GroupByKey dedupe), an unusable document (the
dead-letter side output and Flatten) and real news feeds (classification).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
DEFAULT_JAR = REPO / ".cache" / "flink" / "flink-job-server.jar"
VERSIONS_ENV = REPO / "deploy" / "local" / "versions.env"
# Fields an export line may carry that record when the run happened, not what
# the pipeline computed. export_line() has none of them today (published_at is
# the feed's own date or null, never the time of the run), so today the whole
# records are compared; these are left out only if they are ever added.
RUN_DEPENDENT_FIELDS = frozenset({"ingested_at", "seen_at"})


def flink_minor() -> str:
    for line in VERSIONS_ENV.read_text().splitlines():
        if line.startswith("FLINK_MINOR="):
            return line.partition("=")[2].strip().strip("'\"")
    raise AssertionError(f"FLINK_MINOR missing from {VERSIONS_ENV}")


def job_server_jar() -> Path:
    jar = Path(os.environ.get("NEWSMON_FLINK_JOB_SERVER_JAR") or DEFAULT_JAR)
    if not jar.is_file():
        pytest.fail(f"Flink job server jar not found at {jar} — run deploy/local/install.sh flink")
    if shutil.which("java") is None:
        pytest.fail("java is not on PATH: the Flink job server needs a JDK (Java 17 here)")
    return jar


def inputs(corpus: Path) -> list[str]:
    demo = REPO / "deploy" / "local" / "demo-feeds"
    news = corpus / "news-feeds"
    return [
        "--input",
        str(demo),
        "--input",
        str(demo / "wire.xml"),  # wire.xml twice: duplicates
        "--input",
        str(news / "ndtv"),
        "--input",
        str(news / "hindustantimes"),
        "--input",
        str(corpus / "hostile" / "not-a-feed" / "google_404_as_feed.xml"),
    ]


def backfill(args: list[str], out_dir: Path, name: str) -> tuple[dict[str, Any], float, str]:
    summary = out_dir / f"summary-{name}.json"
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.app.cli",
            "backfill",
            "--no-index",
            "--output",
            str(out_dir / f"out_{name}.jsonl"),
            "--deadletter",
            str(out_dir / f"deadletter-{name}.jsonl"),
            "--summary-json",
            str(summary),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=900,
        check=False,
        env={**os.environ, "NEWSMON_PROGRESS": "0"},
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 0, f"{name} backfill failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}"
    return json.loads(summary.read_text()), seconds, proc.stderr


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdicts(records: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(r["article_id"], r["relevant"], tuple(r["topics"]), r["title"]) for r in records}


def test_backfill_on_flink_gives_the_direct_runner_documents(corpus: Path, tmp_path: Path) -> None:
    jar = job_server_jar()
    args = inputs(corpus)
    scratch = tmp_path / "flink-tmp"
    scratch.mkdir()
    direct, direct_s, _ = backfill([*args, "--runner", "DirectRunner"], tmp_path, "direct")
    flink, flink_s, flink_log = backfill(
        [
            *args,
            "--runner",
            "FlinkRunner",
            "--flink_master=[local]",
            f"--flink_version={flink_minor()}",
            f"--flink_job_server_jar={jar}",
            "--environment_type=LOOPBACK",
            "--parallelism=2",
            # Flink's scratch files (it unpacks a 22 MB RPC jar per start) and the
            # staged artifacts go under tmp_path, not the machine's /tmp.
            f"--job_server_jvm_properties=-Djava.io.tmpdir={scratch}",
            f"--artifacts_dir={scratch / 'artifacts'}",
        ],
        tmp_path,
        "flink",
    )
    print(f"\nDirectRunner {direct_s:.1f}s, FlinkRunner (embedded Flink {flink_minor()}) {flink_s:.1f}s")

    # It really ran on Flink, through the local job server jar.
    assert str(jar) in flink_log, flink_log[-3000:]
    assert "org.apache.flink" in flink_log, flink_log[-3000:]

    # The input exercises dedupe, the dead-letter output and classification.
    assert direct["articles"] >= 50 and direct["duplicates"] > 0 and direct["relevant"] > 0, direct
    assert direct["failures"], direct

    direct_rows, flink_rows = read_jsonl(tmp_path / "out_direct.jsonl"), read_jsonl(tmp_path / "out_flink.jsonl")
    assert len(direct_rows) == direct["articles"]
    assert len(flink_rows) == len({r["article_id"] for r in flink_rows}), "Flink exported an article twice"
    only_direct = sorted(verdicts(direct_rows) - verdicts(flink_rows))
    only_flink = sorted(verdicts(flink_rows) - verdicts(direct_rows))
    assert not only_direct and not only_flink, (
        f"(article_id, relevant, topics, title) differ: {len(only_direct)} only on DirectRunner, e.g. "
        f"{only_direct[:3]}; {len(only_flink)} only on FlinkRunner, e.g. {only_flink[:3]}"
    )

    def comparable(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {r["article_id"]: {k: v for k, v in r.items() if k not in RUN_DEPENDENT_FIELDS} for r in rows}

    direct_by_id, flink_by_id = comparable(direct_rows), comparable(flink_rows)
    differing = [i for i in direct_by_id if direct_by_id[i] != flink_by_id[i]]
    assert not differing, "records differ: " + "; ".join(
        f"{i}: {sorted(k for k in direct_by_id[i] if direct_by_id[i][k] != flink_by_id[i].get(k))}"
        for i in differing[:5]
    )

    # Same counters (Beam metrics come back from Flink) and the same dead letters.
    counted = ("feeds_read", "entries", "articles", "duplicates", "relevant", "topics", "failures")
    assert {k: flink[k] for k in counted} == {k: direct[k] for k in counted}

    def dead(name: str) -> set[tuple[Any, ...]]:
        return {(d["stage"], d["reason"], d["feed_url"]) for d in read_jsonl(tmp_path / f"deadletter-{name}.jsonl")}

    assert dead("flink") == dead("direct") != set()
