"""Beam counters of newsmon's metrics (namespace ``newsmon``), and reading them back from a finished job.

Prometheus is served by the process running the SDK harness; Beam metrics
travel with the job to Dataflow/Flink UIs and to ``result.metrics()``, which
is where ``newsmon backfill`` reads its summary from. Counter names are
:func:`pipeline.telemetry.metrics.beam_name` of the Prometheus series; DoFns do not
count here directly but through :class:`pipeline.transforms.telemetry.Telemetry`.
"""

from __future__ import annotations

from apache_beam.metrics.metric import Metrics as BeamMetrics
from apache_beam.metrics.metric import MetricsFilter

from pipeline.telemetry import metrics

NAMESPACE = "newsmon"


def counter(metric: str, **labels: str) -> BeamMetrics.DelegatingCounter:
    """The Beam counter of one series of ``metric`` (safe to keep: it finds the running step's container
    when incremented)."""
    return BeamMetrics.counter(NAMESPACE, metrics.beam_name(metric, **labels))


def counters(result: object) -> dict[str, int]:
    """Committed (or attempted, where the runner has no committed values) counters of a finished job,
    by Beam name (read them with :func:`~pipeline.telemetry.metrics.beam_total` /
    :func:`~pipeline.telemetry.metrics.beam_by_label`)."""
    query = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))  # type: ignore[attr-defined]
    out: dict[str, int] = {}
    for c in query.get("counters", []):
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + int(value or 0)
    return out
