"""``newsmon trends --png``: the trends as a PNG chart for a report (matplotlib, non-interactive Agg backend).

One line per topic over the buckets (counts, or the share of all relevant
coverage), each topic's alert windows shaded in its colour. Writes a file;
nothing else here touches the outside world.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.app.trends import Trends, share
from pipeline.core.dates import iso_to_unix

WIDTH_IN, HEIGHT_IN, DPI = 11.0, 5.5, 110


def write_png(trends: Trends, path: str | Path, as_share: bool = False, title: str | None = None) -> Path:
    """Draw ``trends`` into ``path`` (PNG); returns the path."""
    import matplotlib

    matplotlib.use("Agg", force=True)  # no display: servers, CI, cron jobs
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = fig.subplots()

    def x(unix_s: float) -> float:
        return float(mdates.date2num(datetime.fromtimestamp(unix_s, tz=UTC)))  # type: ignore[no-untyped-call]

    # steps-post draws each value from its bucket's start to the next; the extra point closes the last bucket.
    xs = [x(s) for s in trends.starts] + [x(trends.starts[-1] + trends.interval_s)] if trends.starts else []
    colours = {}
    for topic, counts in trends.counts.items():
        values: list[float] = (
            [100 * (v or 0.0) for v in share(counts, trends.totals)] if as_share else [float(c) for c in counts]
        )
        values += values[-1:]
        (line,) = ax.plot(xs, values, label=f"{topic} ({sum(counts)})", linewidth=1.8, drawstyle="steps-post")
        colours[topic] = line.get_color()
    for alert in trends.alerts:
        start, end = iso_to_unix(alert.get("window_start")), iso_to_unix(alert.get("window_end"))
        topic = str(alert.get("topic"))
        if start is None or end is None or topic not in colours:
            continue
        ax.axvspan(x(start), x(end), color=colours[topic], alpha=0.18, linewidth=0)
    ax.set_ylabel("% of relevant coverage" if as_share else "relevant articles per bucket")
    ax.set_xlabel("UTC")
    ax.set_ylim(bottom=0)
    if xs:
        ax.set_xlim(xs[0], xs[-1])
    ax.xaxis_date(tz=UTC)
    locator = mdates.AutoDateLocator(tz=UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize="small", ncols=3)
    ax.set_title(
        title
        or ("US–India coverage: topic share" if as_share else "US–India coverage by topic")
        + (" (shaded: spike alerts)" if trends.alerts else "")
    )
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    return out
