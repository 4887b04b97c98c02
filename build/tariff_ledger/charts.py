"""Charts drawn at build time as SVG written directly (no plotting library): step charts of a rate over
time, a grid of rates per kind of good, and horizontal bars. They read without JavaScript and follow the
light/dark scheme through CSS classes (site_src/assets/tl.css gives each series class its colour).

Every chart is drawn twice, for a wide column (viewBox 880 px wide, 13 px text) and a narrow one
(340 px, 11 px text); CSS shows the one that fits, so text is never scaled below 10 px on a desktop or
9 px on a phone. Every text is escaped; labels that would collide are moved or dropped (the text
alternative beside each chart lists every value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import escape

WIDE, NARROW = 880, 340
FONT = {WIDE: 13, NARROW: 11}
SERIES = 6  # colour classes tl-s1..tl-s6, all distinct; a chart never draws more series than this
OFFSET = 2.5  # px between lines at the same rate on a chart of several series


@dataclass
class Step:
    start: date
    until: date
    value: float | None
    dashed: bool = False  # an all-in ceiling (normal duty included) is drawn dashed


@dataclass
class Series:
    label: str
    steps: list[Step]
    slot: int = 1  # colour class tl-s<slot>
    end_label: str = ""  # the direct label at the line's end


@dataclass
class Frame:
    """What a chart maps: the time span and the rate span."""

    start: date
    end: date
    top: float  # the highest rate drawn; higher values are clipped and marked
    moments: list[tuple[date, str]] = field(default_factory=list)  # key moments, marked and labelled


def _nice_top(values: list[float], cap: float | None = None) -> float:
    top = max([v for v in values if v is not None] + [10.0])
    if cap is not None:
        top = min(top, cap)
    for step in (10, 20, 25, 50, 100):
        if top / step <= 6:
            return float(step * -(-top // step))
    return float(100 * -(-top // 100))


def frame_for(series: list[Series], start: date, end: date, moments=(), cap: float | None = None) -> Frame:
    values = [s.value for x in series for s in x.steps if s.value is not None]
    return Frame(start, end, _nice_top(values, cap), list(moments))


class _Canvas:
    """One variant of one chart: coordinates, and the SVG elements drawn so far."""

    def __init__(self, width: int, height: int, left: int, right: int, top: int, bottom: int, frame: Frame):
        self.w, self.h, self.f = width, height, frame
        self.x0, self.x1, self.y0, self.y1 = left, width - right, top, height - bottom
        self.font = FONT[width]
        self.parts: list[str] = []
        self.labels: list[tuple[float, float, float, float]] = []  # the value labels' boxes so far

    def free(self, x: float, y: float, s: str) -> bool:
        """Whether a value label at (x, y) stays clear of those already drawn; if so, it is claimed."""
        box = (x, y - self.font, x + 0.6 * self.font * len(s), y + 2)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.labels):
            return False
        self.labels.append(box)
        return True

    def x(self, d: date) -> float:
        span = (self.f.end - self.f.start).days or 1
        d = min(max(d, self.f.start), self.f.end)
        return round(self.x0 + (self.x1 - self.x0) * (d - self.f.start).days / span, 1)

    def y(self, v: float) -> float:
        v = min(max(v, 0.0), self.f.top)
        return round(self.y1 - (self.y1 - self.y0) * v / self.f.top, 1)

    def text(self, x, y, s: str, cls: str = "", anchor: str = "start", size: int | None = None) -> None:
        self.parts.append(
            f'<text x="{x}" y="{y}" font-size="{size or self.font}" text-anchor="{anchor}"'
            + (f' class="{cls}"' if cls else "")
            + f">{escape(s)}</text>"
        )

    def svg(self, variant: str) -> str:
        return (
            f'<svg class="tl-svg tl-svg--{variant}" viewBox="0 0 {self.w} {self.h}" width="{self.w}" '
            f'height="{self.h}" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
            + "".join(self.parts)
            + "</svg>"
        )


def _months(start: date, end: date, every: int) -> list[date]:
    out, y, m = [], start.year, 1
    while date(y, m, 1) <= end:
        d = date(y, m, 1)
        if d >= start and (m - 1) % every == 0:
            out.append(d)
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def _tick(top: float, most: int) -> float:
    return next(s for s in (5, 10, 20, 25, 50, 100, 200) if top / s <= most)


def _axes(c: _Canvas, narrow: bool) -> None:
    step = _tick(c.f.top, 4 if narrow else 6)
    v = 0.0
    while v <= c.f.top + 1e-9:
        y = c.y(v)
        c.parts.append(f'<line x1="{c.x0}" x2="{c.x1}" y1="{y}" y2="{y}" class="tl-grid"/>')
        c.text(c.x0 - 4, y + c.font / 3, f"{v:g}%", "tl-axis", "end")
        v += step
    for d in _months(c.f.start, c.f.end, 6 if narrow else 3):
        x = c.x(d)
        c.parts.append(f'<line x1="{x}" x2="{x}" y1="{c.y1}" y2="{c.y1 + 4}" class="tl-tick"/>')
        label = f"{d:%b}" if d.month != 1 else f"{d.year}"
        if narrow and d.month != 1:
            label = f"{d:%b}"
        c.text(x, c.y1 + c.font + 4, label, "tl-axis", "middle")


def _rows(labels: list[tuple[float, str]], font: int, gap: int = 6) -> list[int]:
    """Assign each label (x, text), left to right, the first row where it does not overlap."""
    ends: list[float] = []
    rows = []
    for x, s in labels:
        width = 0.6 * font * len(s)
        for i, e in enumerate(ends):
            if x - width / 2 > e + gap:
                ends[i] = x + width / 2
                rows.append(i)
                break
        else:
            ends.append(x + width / 2)
            rows.append(len(ends) - 1)
    return rows


def _moments(c: _Canvas, narrow: bool) -> list[str]:
    """Key moments: a dashed line each, labelled at the top (numbered on a narrow chart; the numbers are
    keyed below it). Returns the key."""
    key = []
    shown = [(d, s) for d, s in c.f.moments if c.f.start <= d <= c.f.end]
    xs = [c.x(d) for d, _ in shown]
    texts = [str(i + 1) if narrow else s for i, (_, s) in enumerate(shown)]
    rows = _rows(list(zip(xs, texts, strict=True)), c.font)
    for (d, s), x, t, row in zip(shown, xs, texts, rows, strict=True):
        c.parts.append(f'<line x1="{x}" x2="{x}" y1="{c.y0 - 2}" y2="{c.y1}" class="tl-moment"/>')
        c.text(x, c.y0 - 6 - row * (c.font + 3), t, "tl-moment-label", "middle")
        key.append(f"{s}, {d:%-d %b %Y}" if narrow else "")
    return [k for k in key if k]


def _path(c: _Canvas, steps: list[Step], dashed: bool) -> str:
    d, last = [], None
    for s in steps:
        if s.value is None or s.dashed != dashed:
            last = None
            continue
        x_a, x_b, y = c.x(s.start), c.x(s.until), c.y(s.value)
        if x_b <= x_a:
            continue
        if last is not None and abs(last[0] - x_a) < 0.01:
            d.append(f"V{y}H{x_b}")
        else:
            d.append(f"M{x_a} {y}H{x_b}")
        last = (x_b, y)
    return "".join(d)


def line_offset(i: int, n: int) -> float:
    """How far the i-th of n lines is shifted up or down, so that lines at the same rate lie side by side
    instead of on top of each other (the page's script uses the same rule)."""
    return round((i - (n - 1) / 2) * OFFSET, 1)


def _series(c: _Canvas, s: Series, value_labels: bool, offset: float = 0.0) -> None:
    cls = f"tl-line tl-s{s.slot}"
    shift = f' transform="translate(0 {offset})"' if offset else ""
    for dashed in (False, True):
        path = _path(c, s.steps, dashed)
        if path:
            c.parts.append(f'<path d="{path}" class="{cls}{" tl-dashed" if dashed else ""}"{shift}/>')
    if not value_labels:
        return
    previous, last_x = None, -1e9
    for st in s.steps:
        if st.value is None or st.value == previous or st.until <= c.f.start:
            previous = st.value
            continue
        x, y = c.x(st.start), c.y(st.value)
        label = f"{st.value:g}%" + ("↑" if st.value > c.f.top else "")
        if x - last_x >= 0.6 * c.font * (len(label) + 1):
            # Above the line, else below it; a label that would cover another is left out (the end
            # label and the table give the value).
            for ly in (max(c.y0 + c.font, y - 4), min(c.y1 - 2, y + c.font + 2)):
                if c.free(x + 2, ly, label):
                    c.text(x + 2, ly, label, f"tl-value tl-s{s.slot}")
                    last_x = x
                    break
        previous = st.value


def _end_labels(c: _Canvas, series: list[Series]) -> None:
    """Direct labels at the right end of each line, spread apart vertically so they never overlap."""
    items = []
    for s in series:
        last = next((st for st in reversed(s.steps) if st.value is not None and st.start <= c.f.end), None)
        if last is not None and s.end_label:
            items.append([c.y(last.value), s])
    items.sort(key=lambda i: i[0])
    gap = c.font + 2
    for i in range(1, len(items)):
        items[i][0] = max(items[i][0], items[i - 1][0] + gap)
    overflow = items[-1][0] - c.y1 if items else 0
    if overflow > 0:
        for it in items:
            it[0] -= overflow
    for y, s in items:
        c.text(c.x1 + 6, round(y + c.font / 3, 1), s.end_label, f"tl-end tl-s{s.slot}")


def _step_canvases(series: list[Series], frame: Frame) -> list[tuple[str, _Canvas]]:
    """The two drawings' canvases for a step chart: margins fit the end labels and the moments' rows."""
    out = []
    for width, height in ((WIDE, 300), (NARROW, 250)):
        narrow = width == NARROW
        font = FONT[width]
        longest = max((len(s.end_label) for s in series), default=0)
        right = int(0.6 * font * longest) + 12 if longest else 10
        c = _Canvas(width, height, 36 if narrow else 44, right, 12, font + 12, frame)
        shown = [
            (c.x(d), str(i + 1) if narrow else s)
            for i, (d, s) in enumerate(x for x in frame.moments if frame.start <= x[0] <= frame.end)
        ]
        rows = 1 + max(_rows(shown, font), default=-1)
        c.y0 = 12 + (rows * (font + 3) + 4 if shown else 0)
        out.append(("narrow" if narrow else "wide", c))
    return out


def step_chart(series: list[Series], frame: Frame, value_labels: bool = True) -> tuple[str, list[str]]:
    """A step chart of one to six series: both drawings, and the numbered key of the narrow one."""
    assert 1 <= len(series) <= SERIES
    out, key = [], []
    for variant, c in _step_canvases(series, frame):
        narrow = variant == "narrow"
        _axes(c, narrow)
        k = _moments(c, narrow)
        for i, s in enumerate(series):
            _series(c, s, value_labels, line_offset(i, len(series)))
        _end_labels(c, series)
        out.append(c.svg(variant))
        if narrow:
            key = k
    return "".join(out), key


def series_paths(series: Series, frame: Frame) -> dict[str, list[str]]:
    """A series' path data (solid, dashed) in each drawing of a step chart of `frame` without end labels,
    so a page's script can draw any choice of series on the same axes."""
    return {
        variant: [_path(c, series.steps, False), _path(c, series.steps, True)]
        for variant, c in _step_canvases([], frame)
    }


@dataclass
class Lane:
    label: str
    bars: list[tuple[date, date, float | None, str, int]]  # start, until, value, text, colour slot


def grid_chart(lanes: list[Lane], frame: Frame, legend: list[tuple[int, str]]) -> str:
    """One lane per kind of good; each bar is a period at one rate, labelled with it and coloured by the
    authority that sets it (legend: at most six entries)."""
    assert len(legend) <= SERIES
    out = []
    for width in (WIDE, NARROW):
        narrow = width == NARROW
        font = FONT[width]
        lane_h = (font + 6) + (font + 8 if narrow else 0)
        left = 4 if narrow else 190
        top = font + 8
        legend_h = (font + 8) * (-(-len(legend) // (2 if narrow else 3)))
        height = top + lane_h * len(lanes) + 4 + font + 8 + legend_h
        c = _Canvas(width, height, left, 8, top, height - top - lane_h * len(lanes), frame)
        for d in _months(frame.start, frame.end, 12 if narrow else 6):
            x = c.x(d)
            c.parts.append(f'<line x1="{x}" x2="{x}" y1="{top - 2}" y2="{c.y1}" class="tl-grid"/>')
            c.text(x, top - 4, f"{d.year}" if d.month == 1 else f"{d:%b}", "tl-axis", "middle")
        for i, lane in enumerate(lanes):
            y = top + i * lane_h
            if narrow:
                c.text(4, y + font, lane.label, "tl-lane")
                y += font + 4
            else:
                c.text(left - 8, y + font, lane.label, "tl-lane", "end")
            bar_h = font + 4
            for start, until, value, text, slot in lane.bars:
                if value is None or until <= frame.start or start >= frame.end:
                    continue
                xa, xb = c.x(start), c.x(until)
                if xb - xa < 0.5:
                    continue
                c.parts.append(
                    f'<rect x="{xa}" y="{y + 1}" width="{round(xb - xa, 1)}" height="{bar_h}" '
                    f'class="tl-bar tl-s{slot}"/>'
                )
                if xb - xa >= 0.6 * font * len(text) + 6:
                    c.text(round(xa + 3, 1), y + font + 1, text, "tl-bar-label")
        ly = c.y1 + font + 10
        per_row = 2 if narrow else 3
        col_w = (width - 8) / per_row
        for j, (slot, label) in enumerate(legend):
            lx, lyy = 4 + (j % per_row) * col_w, ly + (j // per_row) * (font + 8)
            c.parts.append(
                f'<rect x="{round(lx, 1)}" y="{lyy - font + 2}" width="{font}" height="{font}" '
                f'class="tl-bar tl-s{slot}"/>'
            )
            c.text(round(lx + font + 4, 1), lyy, label, "tl-legend")
        out.append(c.svg("narrow" if narrow else "wide"))
    return "".join(out)


def bar_chart(labels: list[str], values: list[float], unit: str) -> str:
    """Horizontal bars, largest first, each labelled with its value."""
    out = []
    top = max([*values, 1.0])
    for width in (WIDE, NARROW):
        narrow = width == NARROW
        font = FONT[width]
        row = font + 12
        label_w = 0 if narrow else 200
        height = row * len(labels) * (2 if narrow else 1) + 8
        c = _Canvas(width, height, label_w, 70, 4, 4, Frame(date(2000, 1, 1), date(2000, 1, 2), top))
        for i, (label, v) in enumerate(zip(labels, values, strict=True)):
            y = 4 + i * row * (2 if narrow else 1)
            if narrow:
                c.text(4, y + font, label, "tl-lane")
                y += row
            else:
                c.text(label_w - 8, y + font, label, "tl-lane", "end")
            w = round((c.x1 - c.x0 - 4) * v / top, 1)
            x = c.x0 + (4 if narrow else 0)
            c.parts.append(f'<rect x="{x}" y="{y}" width="{max(w, 1)}" height="{font + 4}" class="tl-bar tl-s1"/>')
            c.text(round(x + max(w, 1) + 4, 1), y + font + 1, f"{v:,.0f} {unit}", "tl-value")
        out.append(c.svg("narrow" if narrow else "wide"))
    return "".join(out)
