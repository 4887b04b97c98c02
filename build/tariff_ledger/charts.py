"""SVG charts drawn at build time with matplotlib, inlined in pages so they read without JavaScript
and follow the light/dark scheme (text and axes use currentColor)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

INK = "#010203"  # sentinel colour replaced by currentColor, so the page's text colour is used
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
plt.rcParams.update({
    "svg.fonttype": "none", "svg.hashsalt": "tariff-ledger", "font.size": 10,
    "text.color": INK, "axes.labelcolor": INK, "axes.edgecolor": INK, "xtick.color": INK, "ytick.color": INK,
    "axes.facecolor": "none", "figure.facecolor": "none", "font.family": "sans-serif",
})


def _svg(fig, chart_id: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = svg.replace(INK, "currentColor")
    # Ids must be unique in the page that inlines the chart.
    svg = re.sub(r'id="([^"]+)"', rf'id="{chart_id}-\1"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', rf'url(#{chart_id}-\1)', svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{chart_id}-\1"', svg)
    svg = re.sub(r'<svg ', '<svg aria-hidden="true" focusable="false" ', svg, count=1)
    return svg


def step_chart(series: list[dict], start, end, chart_id: str) -> str:
    """series: [{"label": str, "points": [(start, until, rate_pct), ...]}] drawn as step lines."""
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.35 * max(len(series), 3)))
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        for a, b, v in s["points"]:
            ax.hlines(v, a, min(b, end), colors=color, linewidth=2.5)
        first = True
        for a, _b, v in s["points"]:
            ax.plot([a], [v], marker="o", markersize=3, color=color, label=s["label"] if first else None)
            first = False
    ax.set_xlim(start, end)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("rate, %")
    ax.grid(axis="y", alpha=0.3, color=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return _svg(fig, chart_id)


def bar_chart(labels: list[str], values: list[float], chart_id: str, xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.32 * max(len(labels), 2)))
    ax.barh(labels[::-1], values[::-1], color=PALETTE[0])
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig, chart_id)
