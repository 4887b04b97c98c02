"""SVG charts drawn at build time with matplotlib, inlined in pages so they read without JavaScript
and follow the light/dark scheme (text and axes use currentColor)."""

from __future__ import annotations

import io
import re

import matplotlib
import matplotlib.dates

matplotlib.use("svg")
import matplotlib.pyplot as plt

INK = "#010203"  # sentinel colour replaced by currentColor, so the page's text colour is used
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
plt.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "tariff-ledger",
        "font.size": 10,
        "text.color": INK,
        "axes.labelcolor": INK,
        "axes.edgecolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.facecolor": "none",
        "figure.facecolor": "none",
        "font.family": "sans-serif",
    }
)


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg") :].replace(INK, "currentColor")


def inline(svg: str, chart_id: str) -> str:
    """Prepare an SVG for inlining: ids unique in the page, hidden from screen readers (the figure
    around it carries the text alternative)."""
    svg = re.sub(r'id="([^"]+)"', rf'id="{chart_id}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{chart_id}-\1"', svg)
    svg = re.sub(r"<svg ", '<svg aria-hidden="true" focusable="false" ', svg, count=1)
    return svg


_DRAWN: dict[str, str] = {}  # series -> SVG; many partners share layers, and `serve` redraws only changes


def step_chart(series: list[dict], start, end) -> str:
    """series: [{"label": str, "points": [(start, until, rate_pct), ...]}] drawn as step lines."""
    key = repr((series, start, end))
    if key not in _DRAWN:
        _DRAWN[key] = _step_chart(series, start, end)
    return _DRAWN[key]


def _step_chart(series: list[dict], start, end) -> str:
    height = 1.6 + 0.3 * max(len(series), 4)
    fig, ax = plt.subplots(figsize=(9, height))
    fig.subplots_adjust(left=0.07, right=0.62, bottom=0.9 / height, top=1 - 0.2 / height)
    for i, s in enumerate(series):
        # One line per series, broken between periods (NaN), and one marker line for the changes:
        # a few artists per chart instead of one per period keeps the build fast.
        xs, ys = [], []
        for a, b, v in s["points"]:
            xs += [a, min(b, end), b]
            ys += [v, v, float("nan")]
        color = PALETTE[i % len(PALETTE)]
        ax.plot(xs, ys, color=color, linewidth=2.5, label=s["label"])
        ax.plot([p[0] for p in s["points"]], [p[2] for p in s["points"]], "o", markersize=3, color=color)
        previous = None
        for a, _b, v in s["points"]:
            if v != previous and a >= start:  # label each change of rate with its new value
                ax.annotate(f"{v:g}%", (a, v), xytext=(2, 3), textcoords="offset points", fontsize=7, color=color)
            previous = v
    ax.set_xlim(start, end)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("rate, %")
    ax.grid(axis="y", alpha=0.3, color=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%b %Y"))
    ax.xaxis.set_major_locator(matplotlib.dates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    return _svg(fig)


def bar_chart(labels: list[str], values: list[float], chart_id: str, xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(8, 1 + 0.32 * max(len(labels), 2)), layout="constrained")
    ax.barh(labels[::-1], values[::-1], color=PALETTE[0])
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return inline(_svg(fig), chart_id)
