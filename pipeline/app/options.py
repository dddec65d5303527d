"""``newsmon run``'s options: one definition, validated once into one frozen :class:`RunSettings`.

* :data:`JOB_OPTIONS` defines every option of the job (name, type, default,
  help) once. :class:`pipeline.app.beamoptions.NewsmonOptions` is the Beam
  ``PipelineOptions`` subclass made from it (so the runner and Beam's own
  parser know them, as ``--spike_window``); :func:`add_job_arguments` gives the
  same options to the ``newsmon run`` parser (``--spike-window``, ``--help``).
  This module imports no Beam, so ``newsmon --help`` and ``classify`` stay quick.
* Defaults come from the code that uses them (:data:`~pipeline.alerting.spikes.DEFAULT_RULE`,
  :mod:`pipeline.sources.limits` (the fetching limits, in a module without the HTTP client, so
  ``--help`` shows them without importing urllib3), :mod:`pipeline.sources.schedule`), never
  repeated here.
* :func:`run_settings` validates flags, environment (:mod:`pipeline.core.config`),
  ``feeds.yaml`` and the pass-through Beam options together, before anything
  starts; every error is a :class:`~pipeline.core.errors.ConfigError` naming the
  flag, variable or file, the field and the fix (``newsmon`` exits 2 with it).
* The Beam options are built once (:func:`pipeline.app.beamoptions.beam_options`),
  by setting the views Beam defines (no string search in argv); the two
  addresses only known once newsmon's own Prism and worker pool listen are
  filled in by :func:`pipeline.app.beamoptions.attach_endpoints`.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.alerting.spikes import DEFAULT_RULE, SpikeRule
from pipeline.core import config
from pipeline.core.errors import ConfigError
from pipeline.core.model import Feed
from pipeline.sources import limits
from pipeline.sources.schedule import DEFAULT_MAX_STRETCH, DEFAULT_TICK_S

if TYPE_CHECKING:
    from apache_beam.options.pipeline_options import PipelineOptions

log = logging.getLogger(__name__)

DEFAULT_RUNNER = "PrismRunner"
DEFAULT_METRICS_PORT = 9108
DEFAULT_METRICS_ADDR = "127.0.0.1"
DEFAULT_SDK_WORKERS = 1
MIN_PROGRESS_EVERY_S = 10.0  # the default progress line comes at most this often


# --------------------------------------------------------------------- value types (argparse `type=`)
def _number(kind: Callable[[str], float], low: float, inclusive: bool, fix: str) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            value = kind(raw)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{raw!r} is not {what} — fix: {fix}") from None
        if value < low or (value == low and not inclusive):
            raise argparse.ArgumentTypeError(f"{raw} is out of range — fix: {fix}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


positive_seconds = _number(float, 0.0, False, "use a number of seconds greater than 0")
seconds_or_off = _number(float, 0.0, True, "use a number of seconds, 0 to turn it off")
positive_count = _number(int, 1, True, "use a whole number of 1 or more")
_whole_number = _number(int, 0, True, "use a port number from 0 (off) to 65535")
stretch_factor = _number(float, 1.0, True, "use a factor of 1 (off) or more")
spike_ratio = _number(float, 1.0, False, "use a ratio above 1, e.g. 3")
positive_number = _number(float, 0.0, False, "use a number greater than 0")


def one_of(*choices: str) -> Callable[[str], str]:
    """A value from ``choices``, case-insensitive (an argparse ``type=`` whose error says the fix)."""

    def parse(raw: str) -> str:
        for choice in choices:
            if raw.lower() == choice.lower():
                return choice
        raise argparse.ArgumentTypeError(f"{raw!r} is not one of them — fix: use one of {', '.join(choices)}")

    parse.__name__ = "choice"
    return parse


def port_number(raw: str) -> int:
    """A TCP port, 0 meaning off."""
    value: int = _whole_number(raw)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{raw} is out of range — fix: use a port number from 0 (off) to 65535")
    return value


port_number.__name__ = "int"


@dataclass(frozen=True)
class JobOption:
    """One option of the job: ``--name-with-dashes`` on the command line, ``--name`` in Beam's spelling."""

    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    metavar: str | None = None
    required: bool = False  # on the command line; Beam's parser never requires (workers parse options too)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


JOB_OPTIONS: tuple[JobOption, ...] = (
    JobOption("config", str, None, "feeds.yaml to poll", "FILE", required=True),
    JobOption("search_url", str, None, "search engine URL (default $ELASTICSEARCH_URL)", "URL"),
    JobOption("index", str, None, "article index (default $NEWSMON_INDEX or news-articles)"),
    JobOption(
        "metrics_port",
        port_number,
        None,
        f"Prometheus /metrics port, 0 to disable (default $NEWSMON_METRICS_PORT or {DEFAULT_METRICS_PORT})",
        "PORT",
    ),
    JobOption(
        "metrics_addr",
        str,
        None,
        f"listen address of /metrics (default $NEWSMON_METRICS_ADDR or {DEFAULT_METRICS_ADDR})",
        "ADDR",
    ),
    JobOption(
        "tick", positive_seconds, DEFAULT_TICK_S, "seconds between due-feed checks (default %(default)g)", "SECONDS"
    ),
    JobOption(
        "fetch_timeout",
        positive_seconds,
        limits.DEFAULT_TIMEOUT_S,
        "hard deadline in seconds for one feed's whole exchange: connect, headers, body, redirects "
        "(default %(default)g)",
        "SECONDS",
    ),
    JobOption(
        "fetch_concurrency",
        positive_count,
        limits.DEFAULT_WORKERS,
        "feeds fetched at once per worker process (default %(default)d)",
        "N",
    ),
    JobOption(
        "per_host",
        positive_count,
        limits.DEFAULT_PER_HOST,
        "requests at once to one host, across all feeds of that host (default %(default)d)",
        "N",
    ),
    JobOption(
        "host_gap",
        seconds_or_off,
        limits.DEFAULT_HOST_GAP_S,
        "seconds between the starts of two requests to one host (default %(default)g)",
        "SECONDS",
    ),
    JobOption(
        "max_interval_stretch",
        stretch_factor,
        DEFAULT_MAX_STRETCH,
        "how many times its configured interval a feed that stopped changing may be polled at most "
        "(adaptive interval; 1 turns it off; default %(default)g)",
        "FACTOR",
    ),
    JobOption(
        "sdk_workers",
        positive_count,
        None,
        "Prism: run the DoFns in this many worker processes, one per core, the feed shards dealt over "
        f"them (default $NEWSMON_SDK_WORKERS or {DEFAULT_SDK_WORKERS}: in this process)",
        "N",
    ),
    JobOption(
        "feed_shards",
        positive_count,
        None,
        "groups the feeds are split into for state and parallelism (default: one per 50 feeds, at most 64)",
        "N",
    ),
    JobOption(
        "max_feed_bytes",
        positive_count,
        limits.DEFAULT_MAX_BYTES,
        "largest feed body accepted, after decompression, in bytes (default %(default)d = 20 MiB)",
        "BYTES",
    ),
    JobOption(
        "spike_window",
        positive_count,
        DEFAULT_RULE.window_s,
        "seconds per topic-count window for in-pipeline spike alerts (default %(default)d)",
        "SECONDS",
    ),
    JobOption(
        "spike_history",
        positive_count,
        DEFAULT_RULE.window_s * DEFAULT_RULE.history_windows,
        "seconds of past windows averaged into the baseline (default %(default)d)",
        "SECONDS",
    ),
    JobOption(
        "spike_min_history",
        positive_count,
        DEFAULT_RULE.window_s * DEFAULT_RULE.min_history_windows,
        "seconds of history a topic needs before it can alert (default %(default)d)",
        "SECONDS",
    ),
    JobOption(
        "spike_ratio",
        spike_ratio,
        DEFAULT_RULE.ratio_threshold,
        "window count over baseline that alerts (default %(default)g)",
        "RATIO",
    ),
    JobOption(
        "spike_min_count",
        positive_count,
        DEFAULT_RULE.min_count,
        "fewest articles in a window that alert (default %(default)d)",
        "N",
    ),
    JobOption(
        "engine_wait",
        seconds_or_off,
        300.0,
        "seconds to wait for the search engine at start-up (default %(default)g)",
        "SECONDS",
    ),
    JobOption(
        "grace_period",
        positive_seconds,
        25.0,
        "seconds SIGTERM/SIGINT may take to finish work in flight before the process exits anyway "
        "(default %(default)g, inside Kubernetes' 30 s)",
        "SECONDS",
    ),
    JobOption(
        "progress_every",
        seconds_or_off,
        None,
        "one line of what was polled, found and indexed this often (default: the shortest feed interval, "
        f"at least {MIN_PROGRESS_EVERY_S:g} s; 0 turns it off)",
        "SECONDS",
    ),
)


def add_job_arguments(parser: argparse.ArgumentParser, beam_spelling: bool = False) -> None:
    """The job's options on ``parser``: ``--spike-window`` shown, ``--spike_window`` accepted too."""
    for opt in JOB_OPTIONS:
        kwargs: dict[str, Any] = {"dest": opt.name, "type": opt.type, "default": opt.default}
        if opt.metavar:
            kwargs["metavar"] = opt.metavar
        if beam_spelling:
            parser.add_argument(f"--{opt.name}", help=opt.help, **kwargs)
            continue
        parser.add_argument(opt.flag, help=opt.help, required=opt.required, **kwargs)
        if opt.flag != f"--{opt.name}":
            parser.add_argument(f"--{opt.name}", help=argparse.SUPPRESS, **kwargs)


def job_values(namespace: argparse.Namespace) -> dict[str, Any]:
    """The job's options from a parsed ``newsmon run`` command line (by their option names)."""
    return {opt.name: getattr(namespace, opt.name) for opt in JOB_OPTIONS}


# --------------------------------------------------------------------- settings
@dataclass(frozen=True)
class RunSettings:
    """Everything ``newsmon run`` starts from, validated. Times in seconds.

    ``beam`` is Beam's own (mutable) options object, built once from these;
    only :func:`attach_endpoints` changes it, when newsmon's Prism and worker pool listen."""

    config_path: str
    feeds: tuple[Feed, ...]
    search: config.SearchSettings
    runner: str
    tick_s: float
    fetch_timeout_s: float
    fetch_concurrency: int
    per_host: int
    host_gap_s: float
    max_stretch: float
    feed_shards: int | None
    max_feed_bytes: int
    spike_rule: SpikeRule
    engine_wait_s: float
    grace_period_s: float
    progress_every_s: float
    metrics_port: int
    metrics_addr: str
    sdk_workers: int
    own_prism: bool  # newsmon starts the Prism binary itself and submits to it
    own_harness: bool  # the DoFns run in newsmon's own worker pool (this process or --sdk-workers children)
    prism_binary: str | None
    beam: PipelineOptions = field(compare=False, repr=False)

    @property
    def in_process(self) -> bool:
        """Whether the DoFns report their ticks in this process (own harness or LOOPBACK)."""
        from pipeline.app.beamoptions import environment_type

        return self.own_harness or environment_type(self.beam) == "LOOPBACK"


def spike_rule(window_s: int, history_s: int, min_history_s: int, ratio: float, min_count: int) -> SpikeRule:
    """The in-job spike rule from the ``--spike-*`` options (seconds → whole windows)."""
    try:
        return SpikeRule(
            window_s=window_s,
            min_count=min_count,
            ratio_threshold=ratio,
            history_windows=max(1, history_s // window_s),
            min_history_windows=max(1, min_history_s // window_s),
        )
    except ValueError as exc:
        raise ConfigError(
            f"--spike-window/--spike-history/--spike-min-history: {exc} — fix: give at least as "
            "much --spike-history as --spike-min-history (see `newsmon run --help` and README "
            "'Alerts')"
        ) from None


def sdk_workers(flag: int | None, env: Mapping[str, str], own_harness: bool, runner: str) -> int:
    """``--sdk-workers``, else ``$NEWSMON_SDK_WORKERS`` (a host default other runners leave to themselves)."""
    if flag is None:
        workers = config.positive_int(env, "NEWSMON_SDK_WORKERS", DEFAULT_SDK_WORKERS, "worker processes")
        if workers > 1 and not own_harness:
            # The variable describes the host (a deployment sets it once); the runner starts the workers here.
            log.info("NEWSMON_SDK_WORKERS=%d not used: %s starts the SDK workers itself", workers, runner)
            return 1
        return workers
    if flag > 1 and not own_harness:
        raise ConfigError(
            f"--sdk-workers {flag} is for Prism without --environment_type — fix: drop it (on "
            "Flink or Dataflow set the runner's parallelism instead)"
        )
    return flag


def run_settings(namespace: argparse.Namespace, beam_args: Sequence[str], env: Mapping[str, str]) -> RunSettings:
    """Validate ``newsmon run``'s flags, environment, feeds file and Beam options together."""
    values = job_values(namespace)
    if not values["config"]:
        raise ConfigError("--config: missing — fix: pass --config with the path of your feeds.yaml")
    feeds = tuple(config.load_feeds(values["config"]))
    search = config.search_settings(env, url=values["search_url"], index=values["index"])
    metrics_port = values["metrics_port"]
    if metrics_port is None:
        metrics_port = config.env_port(env, "NEWSMON_METRICS_PORT", DEFAULT_METRICS_PORT)
    rule = spike_rule(
        values["spike_window"],
        values["spike_history"],
        values["spike_min_history"],
        values["spike_ratio"],
        values["spike_min_count"],
    )
    from pipeline.app.beamoptions import beam_options, environment_type, is_prism, portable, prism_location

    runner = str(namespace.runner or DEFAULT_RUNNER)
    beam = beam_options(beam_args, runner, streaming=True, job=values, env=env)
    prism = is_prism(beam)
    own_harness = prism and environment_type(beam) is None
    own_prism = prism and not portable(beam).job_endpoint and not prism_location(beam)
    every = values["progress_every"]
    if every is None:
        every = max(MIN_PROGRESS_EVERY_S, min(f.interval_s for f in feeds))
    return RunSettings(
        config_path=values["config"],
        feeds=feeds,
        search=search,
        runner=runner,
        tick_s=values["tick"],
        fetch_timeout_s=values["fetch_timeout"],
        fetch_concurrency=values["fetch_concurrency"],
        per_host=values["per_host"],
        host_gap_s=values["host_gap"],
        max_stretch=values["max_interval_stretch"],
        feed_shards=values["feed_shards"],
        max_feed_bytes=values["max_feed_bytes"],
        spike_rule=rule,
        engine_wait_s=values["engine_wait"],
        grace_period_s=values["grace_period"],
        progress_every_s=every,
        metrics_port=metrics_port,
        metrics_addr=values["metrics_addr"] or env.get("NEWSMON_METRICS_ADDR") or DEFAULT_METRICS_ADDR,
        sdk_workers=sdk_workers(values["sdk_workers"], env, own_harness, runner),
        own_prism=own_prism,
        own_harness=own_harness,
        prism_binary=config.prism_binary(env) if own_prism else None,
        beam=beam,
    )
