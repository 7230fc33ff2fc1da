"""Geometry of the dashboard's stacked bar chart, drawn as server-side SVG (no script, no CDN)."""

from dataclasses import dataclass

WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
COLOURS = {"succeeded": "#2f9e6b", "in progress": "#d9a62e", "failed": "#d64545", "cancelled": "#9aa3ad"}


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def nice_ceiling(value):
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def stacked_bars(buckets, label_every=3, label_format="%H:00"):
    """SVG shapes for ``[(hour, {series: n})]``: bars, y grid lines with labels, x labels every ``label_every`` bars."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max([sum(counts.values()) for _, counts in buckets] or [0]))
    slot = plot_w / max(len(buckets), 1)
    bars, x_labels = [], []
    for index, (hour, counts) in enumerate(buckets):
        x, base = LEFT + index * slot + slot * 0.15, TOP + plot_h
        for series, n in counts.items():
            if n:
                height = plot_h * n / top
                base -= height
                bars.append(Rect(round(x, 1), round(base, 1), round(slot * 0.7, 1), round(height, 1),
                                 COLOURS[series], f"{hour:%a %d %b %H}:00 UTC: {n} {series}"))
        if index % label_every == 0:
            x_labels.append({"x": round(x + slot * 0.35, 1), "text": hour.strftime(label_format)})
    grid = [{"y": round(TOP + plot_h * (1 - i / 4), 1), "label": f"{top * i // 4:,}"} for i in range(5)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "axis_y": TOP + plot_h,
            "label_y": HEIGHT - 8, "bars": bars, "grid": grid, "x_labels": x_labels,
            "legend": list(COLOURS.items())}
