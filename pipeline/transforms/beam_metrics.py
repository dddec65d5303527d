"""Mirror of newsmon counters into Beam metrics (namespace ``newsmon``).

Prometheus is served by the process running the SDK harness; Beam metrics
travel with the job to Dataflow/Flink UIs and to ``result.metrics()``, which
is where ``newsmon backfill`` reads its summary from.
"""

from __future__ import annotations

from apache_beam.metrics.metric import Metrics as BeamMetrics
from apache_beam.metrics.metric import MetricsFilter

NAMESPACE = "newsmon"


def inc(name: str, value: int = 1) -> None:
    BeamMetrics.counter(NAMESPACE, name).inc(value)


def counters(result: object) -> dict[str, int]:
    """Committed (or attempted, where the runner has no committed values) counters of a finished job."""
    query = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))  # type: ignore[attr-defined]
    out: dict[str, int] = {}
    for c in query.get("counters", []):
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + int(value or 0)
    return out
