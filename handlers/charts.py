"""PNG charts for the chat (matplotlib, drawn off screen).

Figures are built with matplotlib's object API (no pyplot), so nothing global
is touched and a chart can be drawn in a worker thread. Large type and thick
lines: the people reading them are often on small phones.
"""

from __future__ import annotations

import io
from collections.abc import Sequence


def line_chart_png(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    y_label: str = "%",
    y_max: float = 100.0,
) -> bytes:
    """A line chart of ``values`` (None: no data that month) over ``labels``."""
    # Imported on first use: matplotlib and numpy are about 40 MB that a
    # process answering citizens never needs.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(len(labels)))
    known = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
    if known:
        ax.plot(
            [x for x, _v in known],
            [v for _x, v in known],
            marker="o",
            linewidth=3,
            markersize=8,
            color="#0b5cad",
        )
        for x, v in known:
            ax.annotate(
                f"{v:.1f}",
                (x, v),
                textcoords="offset points",
                xytext=(0, 9),
                ha="center",
                fontsize=10,
            )
    ax.set_title(title, fontsize=15)
    ax.set_xticks(xs, labels, rotation=45, ha="right", fontsize=11)
    ax.set_ylim(0, y_max * 1.1)
    ax.set_ylabel(y_label, fontsize=12)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
