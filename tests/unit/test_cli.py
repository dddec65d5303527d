"""Command-line behaviour that needs no service: help, configuration errors, exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.app.cli import backfill_summary, build_parser, main


def _exit_code(argv: list[str]) -> int:
    """main()'s status, or the parser's (argparse exits 2 on a bad flag)."""
    try:
        return main(argv)
    except SystemExit as done:
        return int(done.code or 0)


@pytest.mark.parametrize(
    "command", ["run", "backfill", "classify", "serve-feeds", "search", "eval", "dashboards", "feeds"]
)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: newsmon" in capsys.readouterr().out


def test_invalid_feeds_file_stops_start_up_with_file_field_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: ftp://example.org/rss\n")
    assert main(["run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "feeds[0].url" in err and "fix:" in err


def test_backfill_of_nothing_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backfill", "--input", str(tmp_path / "missing" / "*.xml")]) == 2
    assert "matches no file" in capsys.readouterr().err


def test_unknown_arguments_are_refused_outside_beam_commands() -> None:
    with pytest.raises(SystemExit) as done:
        main(["classify", "--runner=X"])
    assert done.value.code == 2


def test_backfill_summary_from_counters() -> None:
    from pipeline.telemetry import metrics
    from pipeline.telemetry.metrics import beam_name

    counters = {
        beam_name(metrics.FEEDS_PARSED, parser="fast", fallback="none"): 2,
        beam_name(metrics.FEEDS_UNREAD, reason="unreadable"): 1,
        beam_name(metrics.ENTRIES_PARSED): 10,
        beam_name(metrics.ARTICLES_DUPLICATE): 2,
        beam_name(metrics.ARTICLES_CLASSIFIED, relevant="true"): 4,
        beam_name(metrics.ARTICLES_CLASSIFIED, relevant="false"): 4,
        beam_name(metrics.RELEVANT_ARTICLES, topic="trade"): 3,
        beam_name(metrics.RELEVANT_ARTICLES, topic="none"): 1,
        beam_name(metrics.ENTRY_FAILURES, reason="not_a_feed"): 1,
        beam_name(metrics.INDEX_ERRORS, reason="mapper_parsing_exception"): 1,
        beam_name(metrics.DOCUMENTS_INDEXED, result="created"): 4,
        beam_name(metrics.DOCUMENTS_INDEXED, result="exists"): 0,
    }
    s = backfill_summary(counters, 2.0)
    assert s["feeds_read"] == 3 and s["articles"] == 8 and s["relevant"] == 4 and s["duplicates"] == 2
    assert s["topics"] == {"trade": 3, "none": 1}
    assert s["failures"] == {"index_mapper_parsing_exception": 1, "not_a_feed": 1, "unreadable": 1}
    assert (s["indexed"], s["already_indexed"], s["entries"]) == (4, 0, 10)
    assert s["articles_per_second"] == 4.0


def test_parser_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSMON_METRICS_PORT", raising=False)
    args = build_parser().parse_args(["run", "--config", "f.yaml"])
    # The port comes from $NEWSMON_METRICS_PORT (default 9108) when `run` starts, not at parse time.
    assert (args.runner, args.tick, args.metrics_port, args.grace_period) == ("PrismRunner", 5.0, None, 25.0)


def test_a_bad_metrics_port_does_not_break_help_and_stops_run_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_METRICS_PORT", "nine")
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://127.0.0.1:9/rss\n")
    assert main(["run", "--config", str(feeds)]) == 2
    err = capsys.readouterr().err
    assert "NEWSMON_METRICS_PORT='nine'" in err and "fix:" in err


def test_an_invalid_spike_rule_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://127.0.0.1:9/rss\n")
    assert (
        main(
            [
                "run",
                "--config",
                str(feeds),
                "--spike-min-history",
                "999999",
                "--spike-history",
                "60",
                "--metrics-port",
                "0",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "--spike-history" in err and "fix:" in err


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("YES", True), ("0", False), ("off", False)])
def test_yes_no_variables_accept_the_usual_spellings(value: str, expected: bool) -> None:
    from pipeline.core.config import search_settings

    assert search_settings({"NEWSMON_INDEX_ALL": value}).index_all is expected


def test_a_yes_no_variable_with_another_value_is_an_error() -> None:
    from pipeline.core.config import search_settings
    from pipeline.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"NEWSMON_INDEX_ALL='maybe'.*fix:"):
        search_settings({"NEWSMON_INDEX_ALL": "maybe"})


def test_process_workers_are_told_where_to_write_their_metrics() -> None:
    import json as _json

    from pipeline.app.beamoptions import beam_options, portable, with_worker_metrics_dir

    def environment(argv: list[str], folder: str | None) -> str | None:
        options = beam_options(argv, "DirectRunner", streaming=False, env={})
        with_worker_metrics_dir(options, folder)
        chosen: str | None = portable(options).environment_config
        return chosen

    argv = ["--environment_type=PROCESS", '--environment_config={"command": "/opt/boot"}']
    assert _json.loads(environment(argv, "/var/m") or "") == {
        "command": "/opt/boot",
        "env": {"PROMETHEUS_MULTIPROC_DIR": "/var/m"},
    }
    assert environment(argv, None) == '{"command": "/opt/boot"}'  # single process: nothing to say
    assert environment(["--environment_type=LOOPBACK"], "/var/m") is None
    chosen = [
        "--environment_type=PROCESS",
        '--environment_config={"command": "b", "env": {"PROMETHEUS_MULTIPROC_DIR": "/mine"}}',
    ]
    assert _json.loads(environment(chosen, "/var/m") or "")["env"] == {"PROMETHEUS_MULTIPROC_DIR": "/mine"}


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--sdk-workers", "0"], None, "argument --sdk-workers: 0 is out of range — fix:"),
        (["--sdk-workers", "2", "--runner", "FlinkRunner"], None, "set the runner's parallelism"),
        (["--sdk-workers", "2", "--environment_type=PROCESS"], None, "without --environment_type"),
        ([], "two", "NEWSMON_SDK_WORKERS='two': fix:"),
    ],
)
def test_bad_worker_counts_stop_run_with_the_fix(
    argv: list[str],
    env: str | None,
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if env is not None:
        monkeypatch.setenv("NEWSMON_SDK_WORKERS", env)
        with pytest.raises(SystemExit):  # a bad value never breaks --help
            main(["run", "--help"])
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://127.0.0.1:9/rss\n")
    assert _exit_code(["run", "--config", str(feeds), "--metrics-port", "0", *argv]) == 2
    assert expected in capsys.readouterr().err


def test_logging_options_work_after_the_command_too() -> None:
    """`newsmon run --log-format text` used to reach Beam as an unparseable pipeline option."""
    args, extra = build_parser().parse_known_args(
        ["run", "--config", "f.yaml", "--log-format", "text", "--log-level", "DEBUG"]
    )
    assert (args.log_format, args.log_level, extra) == ("text", "DEBUG", [])
    args, _ = build_parser().parse_known_args(["--log-format", "json", "search", "tariffs"])
    assert args.log_format == "json"  # before the command, as before


def test_the_worker_variable_is_a_host_default_that_other_runners_leave_to_themselves(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deployment sets NEWSMON_SDK_WORKERS once; its Flink overlay reuses the same settings."""
    from pipeline.app.options import run_settings
    from pipeline.app.runjob import worker_pool

    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://127.0.0.1:9/rss\n")
    env = {"NEWSMON_SDK_WORKERS": "2", "NEWSMON_PRISM_LOCATION": sys.executable}
    args = build_parser().parse_args(["run", "--config", str(feeds), "--runner", "FlinkRunner"])
    settings = run_settings(args, [], env)
    assert settings.sdk_workers == 1 and worker_pool(settings, "json", "INFO", object) is None
    args = build_parser().parse_args(["run", "--config", str(feeds)])
    settings = run_settings(args, [], env)
    assert settings.sdk_workers == 2 and settings.own_harness and settings.own_prism
    made: list[dict[str, object]] = []
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/newsmon-test-metrics")
    try:
        worker_pool(settings, "json", "INFO", lambda **kw: made.append(kw))
    finally:
        from pipeline.telemetry import lifecycle

        lifecycle.reset()  # the launcher side watched a run-state folder
    assert made and made[0]["processes"] is True
