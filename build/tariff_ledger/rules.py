"""Project rules that a Table Schema cannot express (DESIGN.md, "Rules"). Each rule is one function.

Rules read the raw cells so they can name the line and column; cells that Frictionless already
rejected as malformed are skipped here rather than reported twice.
"""

from __future__ import annotations

import bisect
import itertools
import re
from datetime import date
from typing import TYPE_CHECKING

from .package import DESCRIPTOR, Package, Problem

if TYPE_CHECKING:
    from .validate import Table

EARLIEST_EVENT = date(2025, 1, 1)
HTML = re.compile(r"<[a-zA-Z!/?]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
SCRIPT_URL = re.compile(r"(javascript|vbscript)\s*:|\bdata:[a-z]+/[a-z0-9.+-]+[;,]", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that change what a reader sees without showing themselves ("Trojan Source"): bidirectional
# embeddings, overrides and isolates, and zero-width characters (a byte-order mark inside a cell too).
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_BREAK = re.compile(r"[\r\n]")
ONE_LINE = 400  # fields of at most this many characters are one line; longer ones may hold paragraphs
INVISIBLE = re.compile(f"[{BIDI}\u200b\u200c\u200d\u2060\ufeff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# One quick pass per column finds the cells that any check of safe_text could match (with the words
# "script" and "data:", looked for separately).
SUSPECT = re.compile(f"[<&\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f{BIDI}\\u200b\\u200c\\u200d\\u2060\\ufeff]")
FORMULA_START_SET = set("=+-@\t\r")
# Dates that may lie after data_as_of because they are scheduled, not past facts (and a document may be
# published after the facts it reports).
SCHEDULED = {
    ("sources", "published_on"),
    ("tariff_rates", "ended_on"),
    ("pledges", "due_by"),
    ("combination_rules", "valid_until"),
    ("product_lists", "valid_until"),
}


SCHEDULED_EVENTS = {"deadline", "hearing"}  # an event of these kinds may be due after data_as_of
SLUG_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if ISO_DATE.fullmatch(value) else None
    except ValueError:
        return None


def _at(t: Table, i: int, field: str, message: str, level: str = "error") -> Problem:
    return Problem(t.path, t.lines[i], t.column(field), message, level)


def strict_formats(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Dates are written YYYY-MM-DD and numbers as plain decimals: Frictionless also accepts 2025-2-3,
    1e3, " 15" and NaN, which spreadsheets and other readers may take differently."""
    out = []
    for name, t in tables.items():
        for f in pkg.fields(name):
            field, kind = f["name"], f["type"]
            if kind not in ("date", "number"):
                continue
            for i, r in enumerate(t.rows):
                v = r[field]
                if not v:
                    continue
                if kind == "date" and not ISO_DATE.fullmatch(v):
                    out.append(
                        _at(
                            t,
                            i,
                            field,
                            f'{field} "{v}" is not written as YYYY-MM-DD; write it with '
                            "four-digit year, two-digit month and day, e.g. 2025-02-03",
                        )
                    )
                if kind == "number" and not PLAIN_NUMBER.fullmatch(v):
                    out.append(
                        _at(
                            t,
                            i,
                            field,
                            f'{field} "{v}" is not a plain number; write digits with an '
                            "optional decimal point, e.g. 15 or 2.5",
                        )
                    )
    return out


def rate_periods(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Enacted rows have effective_from, threatened rows have none, and a period ends after it starts."""
    t, out = tables["tariff_rates"], []
    for i, r in enumerate(t.rows):
        start, end = _date(r["effective_from"]), _date(r["ended_on"])
        if r["stage"] == "enacted" and not r["effective_from"]:
            out.append(
                _at(
                    t,
                    i,
                    "effective_from",
                    "an enacted rate needs effective_from: the first day it "
                    "applied (or change stage to threatened/announced)",
                )
            )
        if r["stage"] == "threatened" and r["effective_from"]:
            out.append(
                _at(
                    t,
                    i,
                    "effective_from",
                    "a threatened rate has no effective_from; clear it, or set "
                    "stage to announced/enacted if an instrument fixed the date",
                )
            )
        if start and end and end <= start:
            out.append(
                _at(
                    t,
                    i,
                    "ended_on",
                    f"ended_on {end} is not after effective_from {start}; ended_on "
                    "is the first day the rate no longer applied",
                )
            )
        if r["ended_on"] and not r["end_reason"]:
            out.append(
                _at(
                    t,
                    i,
                    "end_reason",
                    "ended_on is set but end_reason is empty; say why it ended "
                    "(superseded, paused, expired, revoked, invalidated)",
                )
            )
        if not r["rate_pct"] and not r["notes"]:
            out.append(
                _at(
                    t,
                    i,
                    "rate_pct",
                    "rate_pct is empty; give the rate, or explain in notes why the "
                    "measure has no single ad valorem rate",
                )
            )
        if r["stage"] != "enacted" and not r["announced_on"]:
            out.append(_at(t, i, "announced_on", f"a {r['stage']} rate needs announced_on: the day it was stated"))
        if r["end_reason"] and not r["ended_on"]:
            out.append(
                _at(
                    t, i, "ended_on", "end_reason is set but ended_on is empty; give the first day it no longer applied"
                )
            )
    return out


def no_overlapping_layers(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """No two enacted rows for the same partner, authority and product scope overlap in time.

    An in-quota row is a layer of its own: it runs beside the out-of-quota rate for the same goods.
    """
    t, out, groups = tables["tariff_rates"], [], {}
    for i, r in enumerate(t.rows):
        start = _date(r["effective_from"])
        if r["stage"] == "enacted" and start:
            key = (r["partner_id"], r["authority"], r["measure"], r["product_scope"], r["rate_basis"] == "in-quota")
            groups.setdefault(key, []).append((start, _date(r["ended_on"]) or date.max, i))
    for periods in groups.values():
        periods.sort()
        for (_s1, e1, i1), (s2, _e2, i2) in itertools.pairwise(periods):
            if s2 < e1:
                other = t.rows[i1]
                out.append(
                    _at(
                        t,
                        i2,
                        "effective_from",
                        f"overlaps {other['rate_id']} (line {t.lines[i1]}) for the "
                        f"same partner, authority, measure and product scope; set that row's ended_on to {s2} "
                        "(end_reason superseded) or correct the dates",
                    )
                )
    return out


def dates_in_range(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Events lie between 2025-01-01 and data_as_of; no other date lies after data_as_of unless scheduled."""
    as_of = _date(pkg.data_as_of)
    if as_of is None:
        return [Problem(DESCRIPTOR, 1, 1, f'data_as_of "{pkg.data_as_of}" is not a date; write YYYY-MM-DD')]
    out = []
    for name, t in tables.items():
        date_fields = [f["name"] for f in pkg.fields(name) if f["type"] == "date"]
        for i, r in enumerate(t.rows):
            for field in date_fields:
                d = _date(r[field])
                if d is None:
                    continue
                scheduled = (
                    (name, field) in SCHEDULED
                    or (name == "tariff_rates" and field == "effective_from" and r["stage"] == "announced")
                    or (name == "events" and r["kind"] in SCHEDULED_EVENTS)
                )
                if name == "events" and field == "date" and d < EARLIEST_EVENT:
                    out.append(_at(t, i, field, f"date {d} is before 2025-01-01; the timeline starts in 2025"))
                elif d > as_of and not scheduled:
                    out.append(
                        _at(
                            t,
                            i,
                            field,
                            f"{field} {d} is after data_as_of {as_of}; a past fact cannot "
                            "be later than the data: correct the date or raise data_as_of",
                        )
                    )
    return out


def _cells_matching(t: Table, field: str, pattern: re.Pattern, words: tuple[str, ...] = ()) -> list[int]:
    """The rows whose cell in `field` matches `pattern`, or holds one of `words` (any case), found in one
    pass over the whole column (cells joined by NUL, which no cell holds: read_table rejects it), not one
    search per cell."""
    values = t.column_values(field)
    joined = "\x00".join(values)
    hits = [m.start() for m in pattern.finditer(joined)]
    if words:
        lower = joined.lower()
        for w in words:
            i = lower.find(w)
            while i >= 0:
                hits.append(i)
                i = lower.find(w, i + 1)
    if not hits:
        return []
    starts = list(itertools.accumulate((len(v) + 1 for v in values[:-1]), initial=0))
    return sorted({bisect.bisect_right(starts, h) - 1 for h in hits})


def _suspect_cells(t: Table, field: str) -> list[int]:
    """Cells that any check of safe_text could match: a formula start, or a character or word to look at."""
    values = t.column_values(field)
    first = [i for i, v in enumerate(values) if v[:1] in FORMULA_START_SET]
    return sorted(set(first) | set(_cells_matching(t, field, SUSPECT, ("script", "data:"))))


def safe_text(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Text cells hold no HTML, script URLs, control characters or invisible characters that could make
    a reader see other text than is there (bidirectional overrides, zero-width characters), and cannot
    start a spreadsheet formula. Right-to-left text itself (Hebrew, Arabic) is fine."""
    out = []
    for name, t in tables.items():
        text_fields = [
            f["name"]
            for f in pkg.fields(name)
            if f["type"] == "string" and "enum" not in f.get("constraints", {}) and f.get("format") != "uri"
        ]  # URLs: the schema's https pattern guards them
        for field in text_fields:
            for i in _suspect_cells(t, field):  # nearly every cell matches nothing
                v = t.rows[i][field]
                if v.startswith(FORMULA_START):
                    out.append(
                        _at(
                            t,
                            i,
                            field,
                            f"{field} starts with {v[0]!r}, which spreadsheets run as a "
                            "formula; rephrase so it starts with a letter or digit",
                        )
                    )
                if m := HTML.search(v):
                    out.append(
                        _at(
                            t,
                            i,
                            field,
                            f'{field} contains HTML ("{m.group(0)}"); write plain text '
                            "(use the character itself, not an entity)",
                        )
                    )
                if SCRIPT_URL.search(v):
                    out.append(_at(t, i, field, f"{field} contains a script or data URL; remove it"))
                if m := CONTROL.search(v):
                    out.append(
                        _at(t, i, field, f"{field} contains the control character U+{ord(m.group(0)):04X}; delete it")
                    )
                if m := INVISIBLE.search(v):
                    bidi = m.group(0) in BIDI
                    what = "a bidirectional control character" if bidi else "a zero-width character"
                    out.append(
                        _at(
                            t,
                            i,
                            field,
                            f"{field} contains {what} (U+{ord(m.group(0)):04X}), which can make "
                            "a reader see other text than is there; delete it"
                            + (" (right-to-left text needs no control characters)" if bidi else ""),
                        )
                    )
        # A short field (a title, a name, an instrument: at most ONE_LINE characters) is one line: a line
        # break there would split a feed's or a calendar's line, or a spreadsheet's row, in a reader's eyes.
        for field in text_fields:
            limit = pkg.field(name, field).get("constraints", {}).get("maxLength")
            if limit and limit <= ONE_LINE:
                for i in _cells_matching(t, field, LINE_BREAK):
                    out.append(
                        _at(t, i, field, f"{field} holds a line break; write it on one line (it is a short field)")
                    )
    return out


def filled_cells(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """A required cell that holds only whitespace (a no-break space, say) looks filled but is empty."""
    out = []
    for name, t in tables.items():
        for f in pkg.fields(name):
            if f.get("constraints", {}).get("required") and f["type"] == "string":
                for i, v in enumerate(t.column_values(f["name"])):
                    if v and v.isspace():
                        out.append(
                            _at(
                                t,
                                i,
                                f["name"],
                                f"{f['name']} holds only whitespace "
                                f"(U+{ord(v[0]):04X}); fill it in ({f.get('description', '')})",
                            )
                        )
    return out


def sourced(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Every row cites a source (error); every source is cited by some row (warning). A source named in a
    row's notes (a disagreeing account, a source for one detail) counts as cited."""
    out, cited, notes = [], set(), []
    for name, t in tables.items():
        if name == "sources" or "source_id" not in t.header:
            continue
        # Where the schema already requires source_id, Frictionless has reported the empty cell.
        schema_requires = pkg.field(name, "source_id").get("constraints", {}).get("required", False)
        cited.update(t.column_values("source_id"))
        if "second_source_id" in t.header:
            cited.update(t.column_values("second_source_id"))
        if "notes" in t.header:
            notes.append("\x00".join(t.column_values("notes")))
        if not schema_requires:
            for i in (i for i, v in enumerate(t.column_values("source_id")) if not v):
                out.append(
                    _at(
                        t,
                        i,
                        "source_id",
                        "every row must cite a source; add its source_id (and the source to datasets/sources.csv)",
                    )
                )
    t = tables["sources"]
    text = "\x00".join(notes)
    for i, sid in enumerate(t.column_values("source_id")):
        # Only the few sources no id column cites are looked for in the notes, as whole words.
        if sid not in cited and not _has_word(text, sid):
            out.append(
                _at(t, i, "source_id", f'source "{sid}" is not cited by any row; cite it or remove it', level="warning")
            )
    return out


def combination_rules(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """A rule's period runs forward; each kind fills the columns it needs and no others; and no two rules
    contradict each other (each excluding the other's layer for the same partner on the same day)."""
    t, out = tables["combination_rules"], []
    needs = {
        "excludes": ("by_authority", "by_authority names the layer whose presence excludes this one"),
        "exempts": ("", "an exemption names the goods: a product_scope or a condition"),
        "ceiling": ("", ""),
    }
    for i, r in enumerate(t.rows):
        start, end = _date(r["valid_from"]), _date(r["valid_until"])
        if start and end and end <= start:
            out.append(
                _at(
                    t,
                    i,
                    "valid_until",
                    f"valid_until {end} is not after valid_from {start}; valid_until is "
                    "the first day the rule no longer holds",
                )
            )
        kind = r["kind"]
        if kind == "excludes" and not r["by_authority"]:
            out.append(_at(t, i, "by_authority", f"an excludes rule needs by_authority: {needs[kind][1]}"))
        if kind != "excludes":
            for col in ("by_authority", "by_measure", "by_product_scope"):
                if r[col]:
                    out.append(_at(t, i, col, f"{col} is only for excludes rules; clear it or change kind to excludes"))
        if kind == "exempts" and not (r["product_scope"] or r["condition"]) and r["partner_id"] == "WLD":
            out.append(
                _at(
                    t,
                    i,
                    "product_scope",
                    f"{needs[kind][1]} (only one partner's goods can be exempt as a "
                    "whole); fill product_scope or condition",
                )
            )
        if kind != "exempts" and r["condition"]:
            out.append(_at(t, i, "condition", "condition is only for exempts rules; clear it"))
    excludes = [(i, r) for i, r in enumerate(t.rows) if r["kind"] == "excludes"]

    def covers(side: tuple, other: tuple) -> bool:  # a rule's side (authority, measure, scope) reaches a layer
        return (
            side[0] == other[0]
            and (not side[1] or not other[1] or side[1] == other[1])
            and (not side[2] or not other[2] or side[2] == other[2])
        )

    for (i, a), (j, b) in itertools.combinations(excludes, 2):
        if not ({a["partner_id"], b["partner_id"]} & {"WLD"} or a["partner_id"] == b["partner_id"]):
            continue
        sa, ea = _date(a["valid_from"]) or date.min, _date(a["valid_until"]) or date.max
        sb, eb = _date(b["valid_from"]) or date.min, _date(b["valid_until"]) or date.max
        if not (sa < eb and sb < ea):
            continue
        a_target = (a["authority"], a["measure"], a["product_scope"])
        a_by = (a["by_authority"], a["by_measure"], a["by_product_scope"])
        b_target = (b["authority"], b["measure"], b["product_scope"])
        b_by = (b["by_authority"], b["by_measure"], b["by_product_scope"])
        if covers(a_target, b_by) and covers(b_target, a_by):
            out.append(
                _at(
                    t,
                    j,
                    "kind",
                    f"contradicts {a['rule_id']} (line {t.lines[i]}): each rule excludes the "
                    "other's layer for the same partner and days; end one of them, or narrow "
                    "its product_scope",
                )
            )
    return out


def _has_word(text: str, word: str) -> bool:
    """`word` occurs in `text` not as part of a longer slug (a fast substring search, then the edges)."""
    i = text.find(word)
    while i >= 0:
        before, after = text[i - 1 : i], text[i + len(word) : i + len(word) + 1]
        if not (before.isalnum() or before == "-") and not (after.isalnum() or after == "-"):
            return True
        i = text.find(word, i + 1)
    return False


WORD = re.compile(r"[a-z0-9]+")


def likely_duplicate_events(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Warn about events that are probably the same fact twice: same partner and kind, dates at most a day
    apart, near-identical titles (most of their words shared). Only events that share one of their two
    rarest title words are compared, so the check stays linear however many events there are."""
    t, out = tables["events"], []
    words = [set(WORD.findall(r["title"].lower())) for r in t.rows]
    freq: dict[str, int] = {}
    for w in words:
        for x in w:
            freq[x] = freq.get(x, 0) + 1
    blocks: dict[tuple, list[int]] = {}
    for i, r in enumerate(t.rows):
        for x in sorted(words[i], key=lambda x: (freq[x], x))[:2]:
            blocks.setdefault((r["partner_id"], r["kind"], x), []).append(i)
    seen = set()
    for rows in blocks.values():
        dated = sorted((d, i) for i in rows if (d := _date(t.rows[i]["date"])))
        for k, (d1, i1) in enumerate(dated):
            for d2, i2 in dated[k + 1 :]:
                if (d2 - d1).days > 1:
                    break
                pair = (min(i1, i2), max(i1, i2))
                shared = words[i1] & words[i2]
                if pair in seen or len(shared) < 4 or len(shared) / len(words[i1] | words[i2]) < 0.6:
                    continue
                seen.add(pair)
                first, second = pair
                out.append(
                    _at(
                        t,
                        second,
                        "title",
                        f"likely the same event as {t.rows[first]['event_id']} "
                        f"(line {t.lines[first]}): same partner and kind, dates a day apart or less, "
                        "near-identical titles; merge them (keep the better-sourced row, put the other's "
                        "source in second_source_id) or make the titles say how they differ",
                        level="warning",
                    )
                )
    return out


def pledge_amounts(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """A yearly amount says from which year (and until which, unless open-ended); years run forward."""
    t, out = tables["pledges"], []
    for i, r in enumerate(t.rows):
        if r["amount_basis"] == "per-year" and r["amount_usd_bn"] and not r["first_year"]:
            out.append(
                _at(
                    t,
                    i,
                    "first_year",
                    "a per-year amount needs first_year (and last_year unless it has no "
                    "end): the years it is pledged for; say in notes how they were set",
                )
            )
        if r["first_year"].isdigit() and r["last_year"].isdigit() and int(r["last_year"]) < int(r["first_year"]):
            out.append(_at(t, i, "last_year", f"last_year {r['last_year']} is before first_year {r['first_year']}"))
    return out


def low_grade_alone(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """A row whose cited sources are all low-grade outlets (sources.grade) says in its notes why it
    stands: the word low-grade and the reason (nothing better found, what confirms it)."""
    low = {r["source_id"] for r in tables["sources"].rows if r.get("grade") == "low-grade"}
    out = []
    for name, t in tables.items():
        if name == "sources" or "source_id" not in t.header or "notes" not in t.header:
            continue
        for i, r in enumerate(t.rows):
            cited = [r["source_id"], r.get("second_source_id", "")]
            cited = [c for c in cited if c]
            if cited and all(c in low for c in cited) and "low-grade" not in r["notes"].lower():
                out.append(
                    _at(
                        t,
                        i,
                        "notes",
                        f"the row rests only on low-grade outlets ({', '.join(cited)}); cite a better source "
                        "in source_id, or say in notes why it stands (write 'low-grade' and the reason)",
                    )
                )
    return out


RULES = (
    strict_formats,
    rate_periods,
    no_overlapping_layers,
    dates_in_range,
    safe_text,
    sourced,
    low_grade_alone,
    combination_rules,
    pledge_amounts,
    likely_duplicate_events,
    filled_cells,
)


def check(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    return [p for rule in RULES for p in rule(pkg, tables)]
