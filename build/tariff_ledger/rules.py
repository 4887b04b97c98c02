"""Project rules that a Table Schema cannot express (DESIGN.md, "Rules"). Each rule is one function.

Rules read the raw cells so they can name the line and column; cells that Frictionless already
rejected as malformed are skipped here rather than reported twice.
"""

from __future__ import annotations

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
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# One quick pass per cell; only a cell with one of these goes through the checks of safe_text.
SUSPECT = re.compile(r"^[=+\-@\t\r]|[<&\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|script\s*:|data:", re.IGNORECASE)
# Dates that may lie after data_as_of because they are scheduled, not past facts.
SCHEDULED = {
    ("tariff_rates", "ended_on"),
    ("pledges", "due_by"),
    ("combination_rules", "valid_until"),
    ("product_lists", "valid_until"),
}


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
                scheduled = (name, field) in SCHEDULED or (
                    name == "tariff_rates" and field == "effective_from" and r["stage"] == "announced"
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


def safe_text(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    """Text cells hold no HTML, script URLs or control characters, and cannot start a spreadsheet formula."""
    out = []
    for name, t in tables.items():
        text_fields = [
            f["name"]
            for f in pkg.fields(name)
            if f["type"] == "string" and "enum" not in f.get("constraints", {}) and f.get("format") != "uri"
        ]  # URLs: the schema's https pattern guards them
        for i, r in enumerate(t.rows):
            for field in text_fields:
                v = r[field]
                if not v or not SUSPECT.search(v):
                    continue  # nearly every cell: nothing that any check below could match
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
        for i, r in enumerate(t.rows):
            cited.update(v for v in (r["source_id"], r.get("second_source_id", "")) if v)
            notes.append(r.get("notes", ""))
            if not r["source_id"] and not schema_requires:
                out.append(
                    _at(
                        t,
                        i,
                        "source_id",
                        "every row must cite a source; add its source_id (and the source to datasets/sources.csv)",
                    )
                )
    t = tables["sources"]
    cited |= set(SLUG_WORD.findall(" ".join(notes))) & {r["source_id"] for r in t.rows}
    for i, r in enumerate(t.rows):
        if r["source_id"] not in cited:
            out.append(
                _at(
                    t,
                    i,
                    "source_id",
                    f'source "{r["source_id"]}" is not cited by any row; cite it or remove it',
                    level="warning",
                )
            )
    return out


RULES = (strict_formats, rate_periods, no_overlapping_layers, dates_in_range, safe_text, sourced)


def check(pkg: Package, tables: dict[str, Table]) -> list[Problem]:
    return [p for rule in RULES for p in rule(pkg, tables)]
