"""Beam's side of newsmon's options: :class:`NewsmonOptions` and the Beam options object of a job.

The options themselves are defined in :mod:`pipeline.app.options` (Beam-free); here
they become a ``PipelineOptions`` subclass, and the Beam options of ``newsmon
run``/``backfill`` are built once, through the views Beam defines (no string
search in argv). Errors are :class:`~pipeline.core.errors.ConfigError` with the fix.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from apache_beam.options.pipeline_options import (
    FlinkRunnerOptions,
    GoogleCloudOptions,
    PipelineOptions,
    PortableOptions,
    PrismRunnerOptions,
    StandardOptions,
)

from pipeline.app.options import add_job_arguments
from pipeline.core import config
from pipeline.core.errors import ConfigError
from pipeline.telemetry import metrics


class NewsmonOptions(PipelineOptions):
    """The job's own options, beside Beam's: ``options.view_as(NewsmonOptions).spike_window``."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        add_job_arguments(parser, beam_spelling=True)


def portable(options: PipelineOptions) -> PortableOptions:
    view: PortableOptions = options.view_as(PortableOptions)
    return view


def environment_type(options: PipelineOptions) -> str | None:
    """The SDK environment chosen with ``--environment_type`` (upper case), None when not chosen."""
    chosen = portable(options).environment_type
    return str(chosen).upper() if chosen else None


def prism_location(options: PipelineOptions) -> str | None:
    location = options.view_as(PrismRunnerOptions).prism_location
    return str(location) if location else None


def is_prism(options: PipelineOptions) -> bool:
    return "prism" in str(options.view_as(StandardOptions).runner or "").lower()


def flink_rest(options: PipelineOptions) -> str | None:
    """The JobManager REST URL when the job runs on a Flink cluster (not an embedded Flink)."""
    if "flink" not in str(options.view_as(StandardOptions).runner or "").lower():
        return None
    from pipeline.runtime.flink import rest_url

    return rest_url(options.view_as(FlinkRunnerOptions).flink_master)


def beam_options(
    beam_args: Sequence[str],
    runner: str,
    streaming: bool,
    job: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> PipelineOptions:
    """Beam's options: the pass-through arguments, ``runner``, the job's own options, and what newsmon chooses.

    A bounded job on Prism without ``--environment_type`` runs the DoFns in this process (LOOPBACK),
    and without ``--job_endpoint`` Beam starts Prism from the binary newsmon found
    (``$NEWSMON_PRISM_LOCATION``); the streaming job gets newsmon's own Prism and worker
    pool from :func:`attach_endpoints` instead."""
    env = os.environ if env is None else env
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):  # Beam's parser prints its whole usage before the error
            options = NewsmonOptions(list(beam_args), runner=runner, **dict(job or {}))
            options.get_all_options()  # a malformed Beam option fails here, not when the job is submitted
    except SystemExit:
        why = said.getvalue().strip().splitlines()[-1:] or ["refused"]
        raise ConfigError(
            f"Beam pipeline option: {why[0].split('error: ', 1)[-1]} — fix: correct or drop that pass-through option"
        ) from None
    if streaming:
        options.view_as(StandardOptions).streaming = True
    chosen = portable(options)
    if is_prism(options) and not streaming:  # `newsmon run` attaches its own Prism and worker pool instead
        if not chosen.job_endpoint and not prism_location(options):
            options.view_as(PrismRunnerOptions).prism_location = config.prism_binary(env)
        if not chosen.environment_type:
            chosen.environment_type = "LOOPBACK"  # in-process SDK harness: DoFns share this registry
    with_worker_metrics_dir(options, metrics.multiprocess_dir(env))
    cloud = options.view_as(GoogleCloudOptions)
    if streaming and flink_rest(options) and not cloud.job_name:
        from pipeline.runtime.flink import job_name_for_run

        cloud.job_name = job_name_for_run()  # how the job is found on the cluster to stop it
    return options


def attach_endpoints(options: PipelineOptions, job_endpoint: str | None, worker_pool: str | None) -> None:
    """Submit to newsmon's own Prism at ``job_endpoint``; run the DoFns in its pool at ``worker_pool``."""
    chosen = portable(options)
    if job_endpoint:
        chosen.job_endpoint = job_endpoint
    if worker_pool:
        chosen.environment_type = "EXTERNAL"
        chosen.environment_config = worker_pool


def with_worker_metrics_dir(options: PipelineOptions, folder: str | None) -> None:
    """PROCESS SDK workers write their metrics to ``folder`` (see :mod:`pipeline.telemetry.metrics`).

    Beam passes a PROCESS environment's ``env`` to every worker it starts; an
    ``env`` already naming the variable is left as it is."""
    chosen = portable(options)
    if environment_type(options) != "PROCESS" or not chosen.environment_config:
        return
    try:
        payload = json.loads(chosen.environment_config)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError:
        raise ConfigError(
            f"--environment_config={chosen.environment_config}: not a JSON object — fix: "
            '--environment_config=\'{"command": "..."}\' for a PROCESS environment'
        ) from None
    if folder:
        payload.setdefault("env", {}).setdefault(metrics.MULTIPROC_ENV, folder)
        chosen.environment_config = json.dumps(payload)
