"""Tables for the render stage: short cells with their sort keys and links, and an expandable detail
under each row for the long text (notes, summaries, each side's account, sources). Labels come from the
schemas' enumLabels. Every row carries its id, so it can be linked to."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd
from markupsafe import Markup, escape

from .cards import years_text
from .derive import Views


def nl2br(value) -> Markup:
    return Markup("<br>").join(escape(str(value)).split("\n"))


def fmt_date(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, pd.Timestamp):
        return _iso_day(value)
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else pd.Timestamp(value).strftime("%Y-%m-%d")


@functools.lru_cache(maxsize=4096)
def _iso_day(value: pd.Timestamp) -> str:  # the same few hundred days, formatted hundreds of thousands of times
    return value.strftime("%Y-%m-%d")


def fmt_num(value, suffix="") -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.2f}".rstrip("0").rstrip(".") + suffix


@dataclass
class Cell:
    text: str = ""
    sort: str | float | None = None  # what the column sorts by, when it differs from the text
    href: str = ""
    title: str = ""


@dataclass
class Row:
    id: str
    cells: list[Cell]
    detail: list[tuple[str, Cell]] = field(default_factory=list)  # (label, content) under the row
    resource: str = ""  # the CSV the row comes from, for the edit and correction links


@dataclass
class Table:
    """A table as the templates draw it: column headers with their sort type, rows of cells."""

    columns: list[tuple[str, str]]  # (label, "text" | "number" | "date")
    rows: list[Row] = field(default_factory=list)
    caption: str = ""
    table_id: str = ""


class TableBuilder:
    """Builds the site's tables; the Renderer sets `v`, `base`, `labels`, `partner_names` and
    `source_records`."""

    v: Views
    base: str
    labels: dict
    partner_names: dict
    source_records: dict

    def label(self, resource: str, column: str, value: str) -> str:
        return self.labels.get((resource, column), {}).get(value, value)

    def source_cell(self, source_id: str) -> Cell:
        if not source_id:
            return Cell()
        s = self.source_records[source_id]
        low = ", low-grade outlet" if s.get("grade") == "low-grade" else ""
        return Cell(text=f"{s['title']} ({s['publisher']}{low})", href=s["url"], title=s["publisher"] + low)

    def partner_cell(self, pid: str) -> Cell:
        return Cell(text=self.partner_names.get(pid, pid), href=f"{self.base}partners/{pid.lower()}/", sort=pid)

    def sources_detail(self, *source_ids: str) -> list[tuple[str, Cell]]:
        return [("Source" if i == 0 else "Also", self.source_cell(s)) for i, s in enumerate(source_ids) if s]

    def rate_cell(self, rate, basis: str) -> Cell:
        if pd.isna(rate):
            return Cell("no single rate", sort=None)
        word = {"all-in": " all-in", "in-quota": " in quota"}.get(basis, "")
        return Cell(fmt_num(rate, "%") + word, sort=rate)

    def rates_table(self, rows: pd.DataFrame, link_partner: bool = False) -> Table:
        table = Table(
            [
                ("Partner", "text"),
                ("Authority", "text"),
                ("Goods", "text"),
                ("Rate", "number"),
                ("Stage", "text"),
                ("From", "date"),
                ("Until", "date"),
            ]
        )
        for r in rows.itertuples():
            detail = [
                ("Basis", Cell(self.label("tariff_rates", "rate_basis", r.rate_basis))),
                ("Announced", Cell(fmt_date(r.announced_on))),
            ]
            if not pd.isna(r.retroactive_to):
                detail.append(("Applied back to", Cell(fmt_date(r.retroactive_to))))
            if r.end_reason:
                detail.append(("End reason", Cell(self.label("tariff_rates", "end_reason", r.end_reason))))
            if r.measure:
                detail.append(("Measure", Cell(self.label("tariff_rates", "measure", r.measure))))
            detail += [
                ("Instrument", Cell(r.legal_instrument)),
                *self.sources_detail(r.source_id, r.second_source_id),
                ("Notes", Cell(r.notes)),
                ("Row id", Cell(r.rate_id)),
            ]
            table.rows.append(
                Row(
                    r.rate_id,
                    [
                        self.partner_cell(r.partner_id) if link_partner else Cell(self.partner_names[r.partner_id]),
                        Cell(self.label("tariff_rates", "authority", r.authority)),
                        Cell(self.label("tariff_rates", "product_scope", r.product_scope)),
                        self.rate_cell(r.rate_pct, r.rate_basis),
                        Cell(self.label("tariff_rates", "stage", r.stage)),
                        Cell(fmt_date(r.effective_from)),
                        Cell(fmt_date(r.ended_on)),
                    ],
                    [(k, c) for k, c in detail if c.text],
                    "tariff_rates",
                )
            )
        return table

    def events_list(self, events: pd.DataFrame) -> list[dict]:
        return [
            {
                "id": e.event_id,
                "date": fmt_date(e.date),
                "local_date": fmt_date(e.local_date),
                "partner_id": e.partner_id,
                "partner": self.partner_names[e.partner_id],
                "kind": e.kind,
                "kind_label": self.label("events", "kind", e.kind),
                "title": e.title,
                "summary": e.summary,
                "participants": e.participants,
                "location": e.location,
                "notes": e.notes,
                "source": self.source_cell(e.source_id),
                "source2": self.source_cell(e.second_source_id),
                "page": self.v.event_pages[e.event_id],
            }
            for e in events.itertuples()
        ]

    def pledges_table(self, pledges: pd.DataFrame) -> Table:
        table = Table(
            [
                ("Partner", "text"),
                ("What", "text"),
                ("US$ bn", "number"),
                ("Amount is", "text"),
                ("Who pledges", "text"),
                ("Binding", "text"),
                ("Announced", "date"),
            ]
        )
        for r in pledges.itertuples():
            basis = self.label("pledges", "amount_basis", r.amount_basis)
            if r.amount_basis == "per-year":
                basis += years_text(r.first_year, r.last_year)
            detail = [
                ("What was pledged", Cell(r.description)),
                ("Horizon", Cell(r.horizon)),
                ("Part of", Cell(r.part_of, href=f"#{r.part_of}" if r.part_of else "")),
                ("Status", Cell(self.label("pledges", "status", r.status))),
                ("US account", Cell(r.us_account)),
                ("Partner account", Cell(r.partner_account)),
                *self.sources_detail(r.source_id, r.second_source_id),
                ("Notes", Cell(r.notes)),
                ("Row id", Cell(r.pledge_id)),
            ]
            table.rows.append(
                Row(
                    r.pledge_id,
                    [
                        self.partner_cell(r.partner_id),
                        Cell(self.label("pledges", "category", r.category)),
                        Cell(fmt_num(r.amount_usd_bn), sort=r.amount_usd_bn),
                        Cell(basis),
                        Cell(self.label("pledges", "pledged_by", r.pledged_by)),
                        Cell(self.label("pledges", "binding", r.binding)),
                        Cell(fmt_date(r.announced_on)),
                    ],
                    [(k, c) for k, c in detail if c.text],
                    "pledges",
                )
            )
        return table

    def agreements_table(self, agreements: pd.DataFrame) -> Table:
        table = Table(
            [
                ("Partner", "text"),
                ("Agreement", "text"),
                ("Kind", "text"),
                ("Announced", "date"),
                ("Signed", "date"),
                ("Status", "text"),
                ("Rate", "number"),
            ]
        )
        for r in agreements.itertuples():
            detail = [
                ("Summary", Cell(r.summary)),
                *self.sources_detail(r.source_id, r.second_source_id),
                ("Notes", Cell(r.notes)),
                ("Row id", Cell(r.agreement_id)),
            ]
            table.rows.append(
                Row(
                    r.agreement_id,
                    [
                        self.partner_cell(r.partner_id),
                        Cell(r.title),
                        Cell(self.label("agreements", "kind", r.kind)),
                        Cell(fmt_date(r.announced_on)),
                        Cell(fmt_date(r.signed_on)),
                        Cell(self.label("agreements", "status", r.status)),
                        Cell(fmt_num(r.headline_rate_pct, "%"), sort=r.headline_rate_pct),
                    ],
                    [(k, c) for k, c in detail if c.text],
                    "agreements",
                )
            )
        return table

    def partners_table(self, partners: pd.DataFrame) -> Table:
        """Every partner with what most goods, cars and steel from it pay now, in plain words."""
        from . import derive
        from .cards import rate_words

        table = Table(
            [
                ("Partner", "text"),
                ("Region", "text"),
                ("Most goods now", "number"),
                ("Cars", "number"),
                ("Steel", "number"),
                ("2 Apr 2025", "number"),
                ("Events", "number"),
            ],
            table_id="partners",
        )
        for p in partners.itertuples():
            cells = [self.partner_cell(p.partner_id), Cell(self.label("partners", "region", p.region))]
            for scope in ("all-goods", "autos", "steel"):
                period = derive.answer_on(self.v, p.partner_id, scope, self.v.as_of)
                a = period.answer if period else None
                rate, basis = rate_words(a)
                short = rate + (" incl. normal duty" if basis == "including the normal duty" else "")
                cells.append(
                    Cell(
                        short if a is not None and a.applies else "none",
                        sort=a.value if a else None,
                        href=f"{self.base}partners/{p.partner_id.lower()}/#{scope}",
                    )
                )
            cells += [Cell(fmt_num(p.rate_april, "%"), sort=p.rate_april), Cell(str(p.events), sort=p.events)]
            table.rows.append(Row(p.partner_id, cells))
        return table
