"""``newsmon``: the command line. The only module that parses argv and configures logging.

Exit codes: 0 success; 1 some input lines were bad (classify) or the job
failed; 2 usage or configuration error; 3 the search engine is unreachable
or refused us at start-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from prometheus_client import CollectorRegistry

from pipeline import __version__
from pipeline.app.options import (
    DEFAULT_METRICS_PORT,
    DEFAULT_RUNNER,
    add_job_arguments,
    one_of,
    port_number,
    seconds_or_off,
)
from pipeline.core import config
from pipeline.core.errors import ConfigError, NewsmonError, SearchError
from pipeline.core.topics import TOPICS, UNTAGGED
from pipeline.telemetry import metrics

log = logging.getLogger("newsmon")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ENGINE = 0, 1, 2, 3


# --------------------------------------------------------------------- classify
def classify_stream(stdin: TextIO, stdout: TextIO) -> int:
    """The ``newsmon classify`` contract: JSONL in, one JSON line out per input line, same order."""
    from pipeline.core.model import Article, ClassifiedArticle, classify_output
    from pipeline.detect import classify, detect_language

    bad = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("expected a JSON object")
            if "id" not in item or not isinstance(item.get("title"), str):
                raise ValueError("each object needs 'id' and a string 'title'")
            fields = {k: item.get(k) or "" for k in ("summary", "body")}
            if not all(isinstance(v, str) for v in fields.values()):
                raise ValueError("'summary' and 'body' must be strings")
            language = item.get("language") or detect_language(f"{item['title']} {fields['summary']}")
            verdict = classify(item["title"], fields["summary"], fields["body"], language)
            article = Article(article_id=str(item["id"]), url="", title=item["title"], language=language, **fields)
            out: dict[str, Any] = classify_output(item["id"], ClassifiedArticle(article, verdict))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            bad += 1
            out = {"line": number, "error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    if bad:
        print(f"newsmon classify: {bad} bad input line(s); their errors are in the output", file=sys.stderr)
    return EXIT_FAILED if bad else EXIT_OK


# --------------------------------------------------------------------- helpers
def _progress_mode(args: argparse.Namespace, stream: TextIO) -> str:
    """How ``newsmon backfill`` shows progress: a bar on a terminal with text logs, log lines otherwise;
    ``NEWSMON_PROGRESS`` (0, bar, lines) or ``--progress-every 0`` decide instead."""
    chosen = config.progress_mode(os.environ)
    if chosen == "off" or args.progress_every <= 0:
        return "off"
    if chosen is not None:
        return chosen
    return "bar" if stream.isatty() and (args.log_format or "text") == "text" else "lines"


def _progress_registry(beam: Any) -> CollectorRegistry:
    """Where the backfill's counters can be read while it runs: this process's registry (the DoFns run
    here), or, for PROCESS SDK workers, a metrics directory they are all started with."""
    from pipeline.app import beamoptions as options

    kind = options.environment_type(beam)
    if kind == "PROCESS":
        folder = metrics.ensure_multiprocess_dir("newsmon-backfill-metrics-")
        options.with_worker_metrics_dir(beam, folder)
        return metrics.exporter_registry({metrics.MULTIPROC_ENV: folder})
    if kind not in (None, "LOOPBACK"):
        log.info(
            "progress: the SDK workers of this environment count where this process cannot read; "
            "the summary at the end has every count"
        )
    return metrics.exporter_registry({})


def backfill_summary(counters: dict[str, int], seconds: float) -> dict[str, Any]:
    """The summary from the job's Beam counters (named by ``metrics.beam_name``, :mod:`pipeline.telemetry.metrics`)."""
    total, by = metrics.beam_total, metrics.beam_by_label
    failures: dict[str, int] = {}
    for prefix, metric in (("", metrics.ENTRY_FAILURES), ("", metrics.FEEDS_UNREAD), ("index_", metrics.INDEX_ERRORS)):
        for reason, n in by(counters, metric, "reason").items():
            failures[prefix + reason] = failures.get(prefix + reason, 0) + n
    unique = total(counters, metrics.ARTICLES_CLASSIFIED)  # after the dedupe, every article is classified once
    topics = by(counters, metrics.RELEVANT_ARTICLES, "topic")
    return {
        "feeds_read": total(counters, metrics.FEEDS_PARSED) + total(counters, metrics.FEEDS_UNREAD),
        "entries": total(counters, metrics.ENTRIES_PARSED),
        "articles": unique,
        "duplicates": total(counters, metrics.ARTICLES_DUPLICATE),
        "relevant": total(counters, metrics.ARTICLES_CLASSIFIED, relevant="true"),
        "topics": {t: topics[t] for t in (*TOPICS, UNTAGGED) if topics.get(t)},
        "indexed": total(counters, metrics.DOCUMENTS_INDEXED, result="created"),
        "already_indexed": total(counters, metrics.DOCUMENTS_INDEXED, result="exists"),
        "failures": dict(sorted(failures.items())),
        "seconds": round(seconds, 2),
        "articles_per_second": round(unique / seconds, 1) if seconds > 0 else None,
    }


def _print_summary(summary: dict[str, Any], stream: TextIO) -> None:
    stream.write(
        f"feeds read {summary['feeds_read']}, entries {summary['entries']}, articles {summary['articles']} "
        f"(duplicates {summary['duplicates']}), relevant {summary['relevant']}, indexed {summary['indexed']} "
        f"(already there {summary['already_indexed']}) in {summary['seconds']}s "
        f"({summary['articles_per_second']} articles/s)\n"
    )
    if summary["topics"]:
        stream.write("topics: " + ", ".join(f"{k} {v}" for k, v in summary["topics"].items()) + "\n")
    if summary["failures"]:
        stream.write("failures: " + ", ".join(f"{k} {v}" for k, v in summary["failures"].items()) + "\n")


# --------------------------------------------------------------------- commands
def cmd_classify(args: argparse.Namespace, _beam: list[str]) -> int:
    return classify_stream(sys.stdin, sys.stdout)


def cmd_eval(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.devtools.evaluate import run_eval

    if (args.gold is None) == (args.real is None):
        print("newsmon eval: give --gold FILE or --real [DIR] (one of them)", file=sys.stderr)
        return 2
    return run_eval(
        args.gold, sys.stdout, json_out=args.json, show_errors=not args.no_errors, real=args.real, folds=args.folds
    )


def cmd_backfill(args: argparse.Namespace, beam_args: list[str]) -> int:
    import apache_beam as beam

    from pipeline.transforms import beam_metrics
    from pipeline.transforms.graph import build_backfill, expand_inputs

    locations = expand_inputs(args.input)
    if not locations:
        raise ConfigError("--input: no feed files found — fix: point it at feed files, a folder of them, or URLs")
    from pipeline.app import beamoptions as job_options
    from pipeline.app.backfillprogress import BackfillProgress
    from pipeline.app.runjob import connect_search

    # Everything validated before anything is written.
    search = None
    settings = config.search_settings(url=args.search_url, index=args.index, index_all=args.index_all)
    if not args.no_index and (args.search_url or os.environ.get("ELASTICSEARCH_URL")):
        search = settings
    deadletter = args.deadletter or settings.deadletter_path
    options = job_options.beam_options(beam_args, args.runner, streaming=False)
    mode = _progress_mode(args, sys.stderr)
    registry = _progress_registry(options)
    if search is not None:
        connect_search(search, wait_s=args.engine_wait)
    log.info("backfill of %d feed document(s) on %s", len(locations), args.runner)
    started = time.monotonic()
    width = shutil.get_terminal_size((100, 24)).columns - 1
    with BackfillProgress(len(locations), registry, mode, args.progress_every, sys.stderr, width):
        p = beam.Pipeline(options=options)
        build_backfill(p, locations, search, export_path=args.output, deadletter_path=deadletter)
        result = p.run()
        result.wait_until_finish()
    summary = backfill_summary(beam_metrics.counters(result), time.monotonic() - started)
    summary["dead_letter"] = deadletter if summary["failures"] else None
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _print_summary(summary, sys.stderr)
    return EXIT_OK


def cmd_run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.app.options import run_settings
    from pipeline.app.runjob import run_job

    # Every flag, variable, the feeds file and the Beam options are checked here, before anything starts.
    settings = run_settings(args, beam_args, os.environ)
    return EXIT_OK if run_job(settings, args.log_format or "json", args.log_level) else EXIT_FAILED


def cmd_demo(args: argparse.Namespace, extra: list[str]) -> int:
    """The quickstart's live demo: the demo newsroom (:mod:`pipeline.demo`) in a thread, and ``newsmon run``
    over its feeds with the demo's spike settings; ``extra`` are more ``newsmon run`` options (they win)."""
    import tempfile

    from pipeline.demo.newsroom import Newsroom
    from pipeline.demo.stories import FEEDS, run_args

    if args.time_scale is None:  # read here, not when building the parser: a bad value must not break --help
        args.time_scale = config.positive_float(os.environ, "NEWSMON_DEMO_TIME_SCALE", 1.0, "1 or 0.5")
    if not 0 < args.time_scale < float("inf"):
        raise ConfigError(f"--time-scale {args.time_scale}: fix: use a positive number (1 = the human demo)")
    folder = Path(args.feeds_dir) if args.feeds_dir else Path(tempfile.mkdtemp(prefix="newsmon-demo-"))
    newsroom = Newsroom(folder, scale=args.time_scale, host=args.feeds_host, port=args.feeds_port)
    try:
        newsroom.start()
    except OSError as exc:
        raise ConfigError(
            f"demo newsroom on {args.feeds_host}:{args.feeds_port}: {exc} — fix: free the port "
            "or choose another with --feeds-port"
        ) from None
    try:
        feeds_yaml = newsroom.write_config()
        log.info(
            "demo newsroom: %s/{%s}.xml (files in %s), time scale %g",
            newsroom.url,
            ",".join(FEEDS),
            folder,
            args.time_scale,
        )
        try:
            run_ns, run_extra = build_parser().parse_known_args(
                ["run", "--config", str(feeds_yaml), *run_args(args.time_scale), *extra]
            )
        except SystemExit as exc:  # the parser has said which option is wrong and how; the newsroom stops
            return int(exc.code or 0)
        for name in ("log_format", "log_level"):  # main() settled these from the demo's own command line
            if getattr(run_ns, name) is None:
                setattr(run_ns, name, getattr(args, name))
        code: int = run_ns.func(run_ns, run_extra)
        return code
    finally:
        newsroom.stop()


def cmd_search(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.app import searching
    from pipeline.sinks.document import read_pattern
    from pipeline.sinks.search import SearchWriter

    req = searching.request_from_args(
        args.query,
        args.topic,
        args.source,
        args.lang,
        args.since,
        args.until,
        args.size,
        args.all,
        stories=args.stories,
    )
    settings = config.search_settings(url=args.search_url, index=args.index)
    writer = SearchWriter(settings)
    writer.connect()
    response = writer.client.request("POST", f"/{read_pattern(settings.index)}/_search", searching.build_query(req))
    summary = searching.summarise(response)
    if args.json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(searching.render(summary, bold=sys.stdout.isatty()) + "\n")
    return EXIT_OK


def cmd_feeds(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.app import feedhealth
    from pipeline.sinks.feedstate import FeedStateStore, feeds_index
    from pipeline.sinks.search import SearchWriter

    settings = config.search_settings(url=args.search_url, index=args.index)
    writer = SearchWriter(settings)
    writer.connect()
    rows = feedhealth.feed_rows(FeedStateStore(writer, feeds_index(settings.index)).all(), failing_only=args.failing)
    if args.json:
        sys.stdout.write(json.dumps({"feeds": rows}, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(feedhealth.render(rows) + "\n")
    return EXIT_OK


def cmd_trends(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.app import searching, trends
    from pipeline.core.dates import iso_to_unix
    from pipeline.sinks.document import ALERTS_INDEX, read_pattern
    from pipeline.sinks.search import SearchWriter

    since = iso_to_unix(searching.parse_when(args.since))
    until = iso_to_unix(searching.parse_when(args.until)) if args.until else time.time()
    assert since is not None and until is not None  # parse_when returns ISO or raises ConfigError
    req = trends.TrendsRequest(
        since=int(since),
        until=int(until),
        interval_s=trends.parse_interval(args.interval),
        topics=tuple(dict.fromkeys(args.topic or TOPICS)),
        share=args.share,
    )
    settings = config.search_settings(url=args.search_url, index=args.index)
    writer = SearchWriter(settings)
    writer.connect()
    response = writer.client.request("POST", f"/{read_pattern(settings.index)}/_search", trends.build_query(req))
    alerts = writer.search_docs(args.alerts_index or f"{ALERTS_INDEX}*", trends.alerts_query(req))
    result = trends.trends_from_response(req, response, alerts)
    if args.png:
        from pipeline.app.trendchart import write_png

        write_png(result, args.png, as_share=args.share)
        log.info("chart written to %s", args.png)
    if args.json:
        sys.stdout.write(json.dumps(trends.to_json(result, args.share), ensure_ascii=False) + "\n")
    elif not (args.png and args.quiet):
        width = shutil.get_terminal_size((100, 24)).columns - 40 if sys.stdout.isatty() else 72
        encoding = (getattr(sys.stdout, "encoding", None) or "ascii").lower()
        sys.stdout.write(
            trends.render(
                result, as_share=args.share, width=width, ascii_only="utf" not in encoding, colour=sys.stdout.isatty()
            )
            + "\n"
        )
    return EXIT_OK


def cmd_status(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.app import status
    from pipeline.core.dates import unix_to_iso
    from pipeline.core.errors import SearchUnavailable
    from pipeline.sinks.document import ALERTS_INDEX, DEADLETTER_INDEX
    from pipeline.sinks.feedstate import feeds_index
    from pipeline.sinks.search import SearchWriter

    settings = config.search_settings(url=args.search_url, index=args.index)
    metrics_url = (
        args.metrics_url
        or f"http://127.0.0.1:{config.env_port(os.environ, 'NEWSMON_METRICS_PORT', DEFAULT_METRICS_PORT)}"
    )
    now = time.time()
    report: dict[str, Any] = {"at": unix_to_iso(now)}
    writer = SearchWriter(settings)
    try:
        engine, version = writer.connect()
        report.update(
            status.gather(
                writer,
                prefix=settings.index,
                alerts_index=args.alerts_index or f"{ALERTS_INDEX}*",
                feeds_index=feeds_index(settings.index),
                deadletter_index=f"{DEADLETTER_INDEX}*",
                engine=engine,
                version=version,
                now=now,
            )
        )
    except SearchError as exc:  # down, or refusing us (credentials, privileges): reported like the job's health
        report["engine"] = {
            "reachable": False,
            "refused": not isinstance(exc, SearchUnavailable),
            "url": settings.url,
            "error": str(exc),
        }
    report["job"] = status.job_status(metrics_url)
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(status.render(report) + "\n")
    return status.exit_code(report)


def cmd_dashboards_import(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.sinks import kibana as dashboards

    opts = dashboards.import_options_from_env(os.environ)
    if args.kibana_url:
        opts["kibana_url"] = args.kibana_url
    if args.space:
        opts["space"] = args.space
    if args.ca_certs:
        opts["ca_certs"] = args.ca_certs
    if args.insecure:
        opts["verify"] = False
    path = args.file or dashboards.saved_objects_path(os.environ)
    try:
        result = dashboards.import_saved_objects(
            ndjson_path=path, overwrite=not args.no_overwrite, wait_s=args.wait, **opts
        )
    except (dashboards.KibanaAuthError, dashboards.KibanaUnavailable) as exc:
        print(f"newsmon dashboards: {exc}", file=sys.stderr)
        return EXIT_ENGINE
    print(f"imported {result.get('successCount', 0)} saved object(s) from {path} into {opts['kibana_url']}")
    return EXIT_OK


def cmd_export_metrics(args: argparse.Namespace, _beam: list[str]) -> int:
    """Serve the metrics SDK worker processes write to a directory (a sidecar beside a TaskManager)."""
    from pipeline.runtime.service import ServiceServer, Status

    folder = args.dir or metrics.multiprocess_dir()
    if not folder:
        raise ConfigError(
            f"export-metrics: no directory — fix: pass --dir or set {metrics.MULTIPROC_ENV} "
            "to the directory the SDK workers are started with"
        )
    if not Path(folder).is_dir():
        raise ConfigError(
            f"export-metrics: {folder} is not a directory — fix: create it (an emptyDir shared "
            "with the TaskManager) or point --dir at it"
        )
    if args.port is None:
        args.port = config.env_port(os.environ, "NEWSMON_METRICS_PORT", DEFAULT_METRICS_PORT)
    addr = args.addr or os.environ.get("NEWSMON_METRICS_ADDR") or "0.0.0.0"
    status = Status(lambda: None)
    status.job_state = "RUNNING"
    server = ServiceServer(addr, args.port, status, registry=metrics.exporter_registry({metrics.MULTIPROC_ENV: folder}))
    log.info("serving the metrics of the SDK workers writing to %s on http://%s:%d/metrics", folder, addr, args.port)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _n, _f: stop.set())
    server.start_background()
    while not stop.wait(1.0):
        pass
    server.shutdown()
    log.info("stopped")
    return EXIT_OK


def cmd_serve_feeds(args: argparse.Namespace, _beam: list[str]) -> int:
    from pipeline.devtools.feedserver import FeedServer

    root = Path(args.root)
    if not root.is_dir():
        raise ConfigError(f"--root {root}: not a directory — fix: point it at a folder of feed files")
    server = FeedServer(root, args.host, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("serving %s on %s", root, server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


# --------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsmon", description="Monitor news about US–India relations.")
    parser.add_argument("--version", action="version", version=f"newsmon {__version__}")
    # Defaults from the environment are read in main(), after parsing: a bad value must not break --help.
    log_format, log_level = one_of(*config.LOG_FORMATS), one_of(*config.LOG_LEVELS)
    formats, levels = "{" + ",".join(config.LOG_FORMATS) + "}", "{" + ",".join(config.LOG_LEVELS) + "}"
    parser.add_argument(
        "--log-format",
        type=log_format,
        metavar=formats,
        default=None,
        help="log line format (default: json for `run`, text otherwise; env NEWSMON_LOG_FORMAT)",
    )
    parser.add_argument(
        "--log-level",
        type=log_level,
        metavar=levels,
        default=None,
        help="log level (default $NEWSMON_LOG_LEVEL or INFO)",
    )
    # The same two after the command (`newsmon run --log-format text`), overriding the ones before it.
    logging_opts = argparse.ArgumentParser(add_help=False)
    logging_opts.add_argument(
        "--log-format",
        type=log_format,
        metavar=formats,
        default=argparse.SUPPRESS,
        help="log line format (also accepted before the command)",
    )
    logging_opts.add_argument(
        "--log-level", type=log_level, metavar=levels, default=argparse.SUPPRESS, help="log level (default INFO)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[logging_opts], **kwargs)

    run = command(
        "run",
        help="the streaming job: poll feeds, classify, index, serve metrics",
        description="Streaming pipeline on Prism by default; extra arguments are Beam "
        "pipeline options (e.g. --runner=FlinkRunner --flink_master=...).",
    )
    run.add_argument("--runner", default=DEFAULT_RUNNER, help="Beam runner (default %(default)s)")
    add_job_arguments(run)  # pipeline/app/options.py: the one definition, shared with NewsmonOptions
    run.set_defaults(func=cmd_run)

    dm = command(
        "demo",
        help="the quickstart's live demo: demo stories published over time, and `newsmon run` over them",
        description="Serves the demo newsroom's feeds (invented stories published over time, a "
        "burst of trade stories a few minutes in) and runs `newsmon run` over them with "
        "the demo's spike settings (windows 30 times shorter). Other arguments are "
        "`newsmon run` options (--metrics-port, --index, ...).",
    )
    dm.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="multiplies every time of the demo (1 = the human demo; 0.5 twice as fast; env NEWSMON_DEMO_TIME_SCALE)",
    )
    dm.add_argument("--feeds-host", default="127.0.0.1")
    dm.add_argument("--feeds-port", type=int, default=8766, help="port of the demo feeds (default 8766; 0: any)")
    dm.add_argument("--feeds-dir", help="folder for the demo feed files (default: a new temporary folder)")
    dm.set_defaults(func=cmd_demo)

    bf = command(
        "backfill",
        help="run the same transforms over feed files, folders, globs or URLs",
        description="Bounded pipeline (DirectRunner by default). Extra arguments are Beam pipeline options.",
    )
    bf.add_argument(
        "--input",
        action="append",
        required=True,
        metavar="PATH|DIR|GLOB|URL",
        help="feed file, folder (read recursively), glob or URL; repeatable",
    )
    bf.add_argument("--output", help="write one JSON line per unique article to this file")
    bf.add_argument("--search-url", help="index relevant articles here (default $ELASTICSEARCH_URL if set)")
    bf.add_argument("--index", help="article index (default $NEWSMON_INDEX or news-articles)")
    bf.add_argument("--index-all", action="store_true", help="index irrelevant articles too")
    bf.add_argument("--no-index", action="store_true", help="do not write to the search engine")
    bf.add_argument("--deadletter", help="dead-letter JSONL path (default $NEWSMON_DEADLETTER_PATH)")
    bf.add_argument("--summary-json", help="also write the summary as JSON to this file")
    bf.add_argument("--runner", default="DirectRunner", help="Beam runner (default DirectRunner)")
    bf.add_argument(
        "--engine-wait",
        type=seconds_or_off,
        default=60.0,
        help="seconds to wait for the search engine at start-up (default %(default)g)",
    )
    bf.add_argument(
        "--progress-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a progress line this often when stderr is not a terminal or logs are JSON (a bar "
        "on a terminal); 0 turns progress off; env NEWSMON_PROGRESS=0|bar|lines (default 10)",
    )
    bf.set_defaults(func=cmd_backfill)

    cl = command(
        "classify",
        help="classify JSON Lines articles from stdin to stdout",
        description="Input: one JSON object per line with id, title and optionally summary, "
        "body, language. Output: one line per input line, same order.",
    )
    cl.set_defaults(func=cmd_classify)

    ev = command(
        "eval",
        help="score the detector against labelled JSONL (precision/recall/F1)",
        description="Each line: id, title, summary, optional body/language, relevant (bool), "
        "topics (list), optional category. Prints relevance and per-topic "
        "precision/recall/F1, micro-averaged topic F1, accuracy per category and the "
        "misclassified ids with their evidence.",
    )
    ev.add_argument("--gold", help="labelled JSON Lines, e.g. tests/data/holdout.jsonl")
    ev.add_argument(
        "--real",
        nargs="?",
        const="",
        default=None,
        help="the real labelled feed items, cross-validated (default folder $NEWSMON_REAL_LABELS)",
    )
    ev.add_argument("--folds", type=int, default=5, help="cross-validation folds for --real")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON object")
    ev.add_argument("--no-errors", action="store_true", help="omit the list of misclassified items")
    ev.set_defaults(func=cmd_eval)

    se = command(
        "search",
        help="full-text search of the indexed coverage, with filters and facets",
        description="Searches relevant articles (all with --all) in $ELASTICSEARCH_URL. "
        'QUERY uses simple query syntax: words, "phrases", -exclusions, OR via |.',
    )
    se.add_argument("query", nargs="*", help="words to search for (empty: latest articles)")
    se.add_argument("--topic", action="append", help="only this topic (repeatable): " + ", ".join(TOPICS))
    se.add_argument("--source", action="append", help="only this outlet (repeatable, exact name)")
    se.add_argument("--lang", action="append", help="only this language code (repeatable)")
    se.add_argument("--since", help="published at or after: 2026-01-31, ISO time, or 7d / 24h / 30m ago")
    se.add_argument("--until", help="published at or before (same formats)")
    se.add_argument("--size", type=int, default=10, help="number of hits (default 10)")
    se.add_argument("--all", action="store_true", help="include articles classified as not relevant")
    se.add_argument(
        "--stories",
        action="store_true",
        help="one hit per story (reprints and near-duplicates collapsed), with '+N outlets'",
    )
    se.add_argument("--json", action="store_true", help="print one JSON object (hits, snippets, facets)")
    se.add_argument("--search-url", help="search engine URL (default $ELASTICSEARCH_URL)")
    se.add_argument("--index", help="article index prefix (default $NEWSMON_INDEX or news-articles)")
    se.set_defaults(func=cmd_search)

    fe = command(
        "feeds",
        help="health of every polled feed: status, failures, last success, next poll",
        description="Reads the feed state newsmon run keeps in the search engine "
        "(news-feeds index): one row per feed, failing and gone feeds first.",
    )
    fe.add_argument("--failing", action="store_true", help="only feeds whose last polls failed, or gone (410)")
    fe.add_argument("--json", action="store_true", help="print one JSON object with a list of feeds")
    fe.add_argument("--search-url", help="search engine URL (default $ELASTICSEARCH_URL)")
    fe.add_argument("--index", help="article index prefix whose feeds to show (default $NEWSMON_INDEX)")
    fe.set_defaults(func=cmd_feeds)

    tr = command(
        "trends",
        help="per-topic volume over time: terminal chart, JSON or PNG",
        description="Relevant articles per topic per time bucket (by publication time) from "
        "$ELASTICSEARCH_URL; buckets overlapping a spike alert in news-alerts are "
        "marked.",
    )
    tr.add_argument("--since", default="7d", help="start: 2026-01-31, ISO time, or 7d / 24h ago (default 7d)")
    tr.add_argument("--until", help="end (same formats; default now)")
    tr.add_argument("--interval", default="1h", help="bucket width: 30m, 1h, 1d, 1w (default 1h)")
    tr.add_argument("--topic", action="append", help="only this topic (repeatable): " + ", ".join(TOPICS))
    tr.add_argument(
        "--share", action="store_true", help="a topic's share of all relevant coverage per bucket instead of counts"
    )
    tr.add_argument("--json", action="store_true", help="print one JSON object with every bucket")
    tr.add_argument("--png", metavar="FILE", help="also write a chart to FILE (PNG)")
    tr.add_argument("--quiet", action="store_true", help="with --png: print nothing")
    tr.add_argument("--search-url", help="search engine URL (default $ELASTICSEARCH_URL)")
    tr.add_argument("--index", help="article index prefix (default $NEWSMON_INDEX or news-articles)")
    tr.add_argument("--alerts-index", help="alert index or pattern (default news-alerts*)")
    tr.set_defaults(func=cmd_trends)

    st = command(
        "status",
        help="one screen for the running service: engine, job health, feeds, last hour, last alerts",
        description="Exit status 0 when the job is healthy and ready, 1 when it is not (or its "
        "metrics port does not answer), 3 when the search engine is unreachable or "
        "refuses us.",
    )
    st.add_argument(
        "--metrics-url",
        help="the job's metrics endpoint, serving /healthz and /readyz "
        "(default http://127.0.0.1:$NEWSMON_METRICS_PORT, port 9108)",
    )
    st.add_argument("--json", action="store_true", help="print one JSON object")
    st.add_argument("--search-url", help="search engine URL (default $ELASTICSEARCH_URL)")
    st.add_argument("--index", help="article index prefix (default $NEWSMON_INDEX or news-articles)")
    st.add_argument("--alerts-index", help="alert index or pattern (default news-alerts*)")
    st.set_defaults(func=cmd_status)

    db = command("dashboards", help="Kibana saved objects (data views, searches, dashboard)")
    db_sub = db.add_subparsers(dest="dashboards_command", required=True, metavar="ACTION")
    di = db_sub.add_parser(
        "import",
        parents=[logging_opts],
        help="import dashboards/kibana/newsmon.ndjson into Kibana",
        description="Credentials only from the environment: KIBANA_API_KEY(_FILE) or "
        "KIBANA_USERNAME + KIBANA_PASSWORD(_FILE).",
    )
    di.add_argument("--kibana-url", help="Kibana base URL (default $KIBANA_URL or http://127.0.0.1:5601)")
    di.add_argument("--file", help="ndjson to import (default $NEWSMON_KIBANA_OBJECTS or the shipped one)")
    di.add_argument("--space", help="Kibana space (default: the default space; env KIBANA_SPACE)")
    di.add_argument("--ca-certs", help="CA bundle for https Kibana (env KIBANA_CA_CERTS)")
    di.add_argument("--insecure", action="store_true", help="do not verify Kibana's TLS certificate")
    di.add_argument("--no-overwrite", action="store_true", help="keep objects that already exist")
    di.add_argument("--wait", type=float, default=300.0, help="seconds to wait for Kibana to answer (default 300)")
    di.set_defaults(func=cmd_dashboards_import)

    em = command(
        "export-metrics",
        help=f"serve /metrics for SDK workers in other processes (the {metrics.MULTIPROC_ENV} directory they write to)",
    )
    em.add_argument("--dir", default=None, help=f"metrics directory (default ${metrics.MULTIPROC_ENV})")
    em.add_argument(
        "--addr",
        default=None,
        help="listen address (default $NEWSMON_METRICS_ADDR or all interfaces: Prometheus scrapes it)",
    )
    em.add_argument(
        "--port",
        type=port_number,
        default=None,
        help=f"listen port (default $NEWSMON_METRICS_PORT or {DEFAULT_METRICS_PORT})",
    )
    em.set_defaults(func=cmd_export_metrics)

    sf = command("serve-feeds", help="serve a folder of feed files over HTTP (ETag, 304, gzip, faults)")
    sf.add_argument("--root", required=True, help="folder of feed files")
    sf.add_argument("--host", default="127.0.0.1")
    sf.add_argument("--port", type=int, default=8765)
    sf.set_defaults(func=cmd_serve_feeds)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, configure logging, dispatch. Every configuration error, from any source, exits 2 with the fix."""
    from pipeline.telemetry import logs

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("run", "backfill", "demo"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        logging_settings = config.log_settings(os.environ, args.log_format, args.log_level)
        args.log_format, args.log_level = logging_settings.format, logging_settings.level
        logs.configure(args.log_format or ("json" if args.command == "run" else "text"), args.log_level)
        code: int = args.func(args, extra)
        return code
    except ConfigError as exc:
        print(f"newsmon: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SearchError as exc:
        print(f"newsmon: search engine: {exc}", file=sys.stderr)
        return EXIT_ENGINE
    except NewsmonError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
