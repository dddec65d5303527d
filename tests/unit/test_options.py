"""newsmon run's options (pipeline/app/options.py, pipeline/app/beamoptions.py): one definition, one validation,
each default defined once and agreeing with the code and the Prometheus rules that use the same numbers."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from apache_beam.options.pipeline_options import (
    GoogleCloudOptions,
    PipelineOptions,
    PortableOptions,
    StandardOptions,
)

from pipeline.alerting.spikes import DEFAULT_RULE, SpikeRule
from pipeline.app.beamoptions import NewsmonOptions, attach_endpoints, beam_options
from pipeline.app.cli import build_parser
from pipeline.app.options import JOB_OPTIONS, RunSettings, run_settings, spike_rule
from pipeline.core.errors import ConfigError

PACKAGE = Path(__file__).resolve().parents[2] / "pipeline"

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(duration: str) -> int:
    """A Prometheus duration (``15m``, ``1h15m``, ``1d``) in seconds."""
    parts = re.findall(r"(\d+)([smhd])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * _UNITS[u] for n, u in parts)


def _rules() -> dict[str, str]:
    """Every recording and alerting rule's expression, by record or alert name."""
    exprs: dict[str, str] = {}
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                exprs[rule.get("record") or rule["alert"]] = " ".join(rule["expr"].split())
    return exprs


def prometheus_spike_rule() -> SpikeRule:
    """The spike rule the Prometheus rule files implement, read from their expressions."""
    exprs = _rules()
    window = re.search(
        r"increase\(newsmon_relevant_articles_total\{[^}]*\}\[(\w+)\]\)",
        exprs["topic:newsmon_relevant_articles:increase15m"],
    )
    baseline = exprs["topic:newsmon_relevant_articles:increase15m_avg1d"]
    history = re.search(r"\[(\w+)\] offset (\w+)", baseline)
    present_since = re.search(r"increase15m offset (\w+)$", baseline)
    floor = re.search(r"clamp_min\([^,]+, ([\d.]+)\)", exprs["topic:newsmon_relevant_articles:spike_ratio"])
    alert = re.search(
        r"spike_ratio >= ([\d.]+) and on \(namespace, topic\) "
        r"topic:newsmon_relevant_articles:increase15m >= (\d+)",
        exprs["NewsmonTopicSpike"],
    )
    assert window and history and present_since and floor and alert, exprs
    window_s = _seconds(window.group(1))
    assert _seconds(history.group(2)) == window_s  # the baseline leaves the current window out
    return SpikeRule(
        window_s=window_s,
        history_windows=_seconds(history.group(1)) // window_s,
        min_history_windows=(_seconds(present_since.group(1)) - window_s) // window_s,
        min_count=int(alert.group(2)),
        ratio_threshold=float(alert.group(1)),
        baseline_floor=float(floor.group(1)),
    )


def test_the_prometheus_rules_and_the_code_define_the_same_spike() -> None:
    assert prometheus_spike_rule() == DEFAULT_RULE


def test_the_run_options_default_to_the_code_spike_rule() -> None:
    args = build_parser().parse_args(["run", "--config", "f.yaml"])
    assert (
        spike_rule(
            args.spike_window, args.spike_history, args.spike_min_history, args.spike_ratio, args.spike_min_count
        )
        == DEFAULT_RULE
    )


GRAPH_TO_OPTION = {
    "tick_s": "tick",
    "fetch_timeout_s": "fetch_timeout",
    "max_feed_bytes": "max_feed_bytes",
    "fetch_concurrency": "fetch_concurrency",
    "feed_shards": "feed_shards",
    "per_host": "per_host",
    "host_gap_s": "host_gap",
    "max_stretch": "max_interval_stretch",
}
POLL_TO_OPTION = GRAPH_TO_OPTION | {
    "timeout_s": "fetch_timeout",
    "max_bytes": "max_feed_bytes",
    "concurrency": "fetch_concurrency",
    "shards": "feed_shards",
}


def test_the_run_options_default_to_the_streaming_graphs_own_defaults() -> None:
    """build_streaming's and PollFeeds' keyword defaults (used by tests and benchmarks) are the CLI's."""
    from pipeline.transforms.graph import build_streaming
    from pipeline.transforms.poll import PollFeeds

    args = build_parser().parse_args(["run", "--config", "f.yaml"])
    graph = inspect.signature(build_streaming).parameters
    pairs = GRAPH_TO_OPTION
    assert {k: graph[k].default for k in pairs} == {k: getattr(args, v) for k, v in pairs.items()}
    poll = inspect.signature(PollFeeds).parameters
    pairs = {k: v for k, v in POLL_TO_OPTION.items() if k in poll}
    assert {k: poll[k].default for k in pairs} == {k: getattr(args, v) for k, v in pairs.items()}


@pytest.mark.parametrize(
    ("module", "function"),
    [
        ("transforms/graph.py", "build_streaming"),
        ("transforms/poll.py", "PollFeeds.__init__"),
        ("transforms/poll.py", "FetchDueFeeds.__init__"),
    ],
)
def test_the_graphs_defaults_name_the_options_constants_instead_of_spelling_numbers(module: str, function: str) -> None:
    """Nothing to drift from the options: each default they share is a named constant (or None), not a number."""
    scope: ast.AST = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    for name in function.split("."):
        [scope] = [n for n in ast.iter_child_nodes(scope) if getattr(n, "name", None) == name]
    assert isinstance(scope, ast.FunctionDef)
    args = scope.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(
        zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults, strict=True)
    )
    defaults |= {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    shared = {k: d for k, d in defaults.items() if k in POLL_TO_OPTION}
    assert shared, function
    spelled = {
        k: ast.unparse(d)
        for k, d in shared.items()
        if not any(isinstance(n, ast.Name | ast.Attribute) for n in ast.walk(d))
        and not (isinstance(d, ast.Constant) and d.value is None)
    }
    assert spelled == {}


def test_the_options_import_neither_beam_nor_a_network_client() -> None:
    """``newsmon --help`` and every start pay for these imports; the fetch limits come from a plain module."""
    code = "import sys, pipeline.app.options; print(sorted(m for m in ('apache_beam', 'urllib3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_newsmon_options_are_beam_pipeline_options_in_either_spelling() -> None:
    options = PipelineOptions(["--spike_window=60", "--tick=2", "--runner=PrismRunner"])
    job = options.view_as(NewsmonOptions)
    assert (job.spike_window, job.tick, job.fetch_concurrency) == (60, 2.0, 64)
    names = {opt.name for opt in JOB_OPTIONS}
    assert names <= set(job.get_all_options())
    args = build_parser().parse_args(["run", "--config", "f.yaml", "--spike_window", "60", "--fetch-timeout", "9"])
    assert (args.spike_window, args.fetch_timeout) == (60, 9.0)


def _settings(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> RunSettings:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://127.0.0.1:9/rss\n    interval: 45s\n")
    args, beam_args = build_parser().parse_known_args(["run", "--config", str(feeds), *argv])
    return run_settings(args, beam_args, {"NEWSMON_PRISM_LOCATION": sys.executable, **(env or {})})


def test_run_settings_carry_every_option_into_one_beam_options_object(tmp_path: Path) -> None:
    s = _settings(
        tmp_path,
        "--tick",
        "3",
        "--spike-window",
        "60",
        "--spike-history",
        "600",
        "--spike-min-history",
        "120",
        "--sdk_worker_parallelism=1",
        env={"NEWSMON_METRICS_PORT": "9200"},
    )
    assert (s.tick_s, s.metrics_port, s.metrics_addr, s.progress_every_s) == (3.0, 9200, "127.0.0.1", 45.0)
    assert (s.spike_rule.window_s, s.spike_rule.history_windows, s.spike_rule.min_history_windows) == (60, 10, 2)
    assert s.own_prism and s.own_harness and s.prism_binary == sys.executable and s.sdk_workers == 1
    job = s.beam.view_as(NewsmonOptions)
    assert (job.tick, job.spike_window, job.config) == (3.0, 60, s.config_path)
    assert s.beam.view_as(StandardOptions).streaming and s.beam.view_as(StandardOptions).runner == "PrismRunner"
    assert s.beam.get_all_options()["sdk_worker_parallelism"] == "1"  # pass-through options kept
    attach_endpoints(s.beam, job_endpoint="localhost:4000", worker_pool="127.0.0.1:5000")
    portable = s.beam.view_as(PortableOptions)
    assert (portable.job_endpoint, portable.environment_type, portable.environment_config) == (
        "localhost:4000",
        "EXTERNAL",
        "127.0.0.1:5000",
    )
    assert s.in_process


def test_given_beam_environments_and_endpoints_are_left_to_beam(tmp_path: Path) -> None:
    s = _settings(tmp_path, "--job_endpoint=localhost:8099", "--environment_type=DOCKER")
    assert not s.own_prism and not s.own_harness and s.prism_binary is None and not s.in_process
    s = _settings(tmp_path, "--environment_type=LOOPBACK")
    assert s.own_prism and not s.own_harness and s.in_process


def test_a_streaming_job_on_a_flink_cluster_gets_a_name_to_stop_it_by(tmp_path: Path) -> None:
    s = _settings(tmp_path, "--runner", "FlinkRunner", "--flink_master=jobmanager:8081")
    assert (s.beam.view_as(GoogleCloudOptions).job_name or "").startswith("newsmon")
    assert not s.own_prism and s.prism_binary is None
    named = _settings(tmp_path, "--runner", "FlinkRunner", "--flink_master=jobmanager:8081", "--job_name=mine")
    assert named.beam.view_as(GoogleCloudOptions).job_name == "mine"


def test_a_bounded_prism_job_runs_its_dofns_here_on_the_binary_newsmon_found() -> None:
    options = beam_options([], "PrismRunner", streaming=False, env={"NEWSMON_PRISM_LOCATION": sys.executable})
    all_options: dict[str, Any] = options.get_all_options()
    assert (all_options["environment_type"], all_options["prism_location"]) == ("LOOPBACK", sys.executable)
    assert not all_options["streaming"]


def test_the_settings_are_frozen(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    with pytest.raises(AttributeError):
        s.tick_s = 1.0  # type: ignore[misc]


def test_a_missing_prism_binary_is_a_configuration_error_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"NEWSMON_PRISM_LOCATION='/nowhere/prism'.*fix:"):
        _settings(tmp_path, env={"NEWSMON_PRISM_LOCATION": "/nowhere/prism"})
