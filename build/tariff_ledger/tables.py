"""Tables for the render stage: cells with their sort keys and links, and the builders that turn the
validated rows into the tables the templates draw. Labels come from the schemas' enumLabels."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from markupsafe import Markup, escape

from . import derive
from .derive import Views


def nl2br(value) -> Markup:
    return Markup("<br>").join(escape(str(value)).split("\n"))


def fmt_date(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def fmt_num(value, suffix="") -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.1f}".rstrip("0").rstrip(".") + suffix


@dataclass
class Cell:
    text: str = ""
    sort: str | float | None = None  # what the column sorts by, when it differs from the text
    href: str = ""
    title: str = ""


@dataclass
class Table:
    """A table as the templates draw it: column headers with their sort type, rows of cells."""

    columns: list[tuple[str, str]]  # (label, "text" | "number" | "date")
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""
    table_id: str = ""


class TableBuilder:
    """Builds the site's tables; the Renderer sets `v`, `base`, `labels`, `partner_names`, `source_records`."""

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
        return Cell(text=s["publisher"], href=s["url"], title=s["title"])

    def partner_cell(self, pid: str) -> Cell:
        return Cell(text=self.partner_names.get(pid, pid), href=f"{self.base}partners/{pid.lower()}/", sort=pid)

    def rates_table(self, rows: pd.DataFrame, link_partner: bool = False) -> Table:
        table = Table(
            [
                ("Partner", "text"),
                ("Authority", "text"),
                ("Scope", "text"),
                ("Rate %", "number"),
                ("Basis", "text"),
                ("Stage", "text"),
                ("Announced", "date"),
                ("From", "date"),
                ("Until", "date"),
                ("End reason", "text"),
                ("Instrument", "text"),
                ("Source", "text"),
                ("Notes", "text"),
            ]
        )
        for r in rows.itertuples():
            src = self.source_cell(r.source_id)
            table.rows.append(
                [
                    self.partner_cell(r.partner_id) if link_partner else Cell(self.partner_names[r.partner_id]),
                    Cell(self.label("tariff_rates", "authority", r.authority)),
                    Cell(r.product_scope),
                    Cell(fmt_num(r.rate_pct), sort=r.rate_pct, href=src.href, title=f"Source: {src.title}"),
                    Cell(self.label("tariff_rates", "rate_basis", r.rate_basis)),
                    Cell(self.label("tariff_rates", "stage", r.stage)),
                    Cell(fmt_date(r.announced_on)),
                    Cell(fmt_date(r.effective_from)),
                    Cell(fmt_date(r.ended_on)),
                    Cell(self.label("tariff_rates", "end_reason", r.end_reason) if r.end_reason else ""),
                    Cell(r.legal_instrument),
                    src,
                    Cell(r.notes),
                ]
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
            }
            for e in events.itertuples()
        ]

    def pledges_table(self, pledges: pd.DataFrame) -> Table:
        table = Table(
            [
                ("Partner", "text"),
                ("Category", "text"),
                ("US$ bn", "number"),
                ("Horizon", "text"),
                ("Binding", "text"),
                ("Status", "text"),
                ("Announced", "date"),
                ("What was pledged", "text"),
                ("US account", "text"),
                ("Partner account", "text"),
                ("Sources", "text"),
            ]
        )
        for r in pledges.itertuples():
            src = self.source_cell(r.source_id)
            table.rows.append(
                [
                    self.partner_cell(r.partner_id),
                    Cell(self.label("pledges", "category", r.category)),
                    Cell(fmt_num(r.amount_usd_bn), sort=r.amount_usd_bn, href=src.href, title=src.title),
                    Cell(r.horizon),
                    Cell(self.label("pledges", "binding", r.binding)),
                    Cell(self.label("pledges", "status", r.status)),
                    Cell(fmt_date(r.announced_on)),
                    Cell(r.description + (f"\nNote: {r.notes}" if r.notes else "")),
                    Cell(r.us_account),
                    Cell(r.partner_account),
                    src,
                ]
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
                ("Headline rate %", "number"),
                ("Summary", "text"),
                ("Source", "text"),
            ]
        )
        for r in agreements.itertuples():
            table.rows.append(
                [
                    self.partner_cell(r.partner_id),
                    Cell(r.title),
                    Cell(self.label("agreements", "kind", r.kind)),
                    Cell(fmt_date(r.announced_on)),
                    Cell(fmt_date(r.signed_on)),
                    Cell(self.label("agreements", "status", r.status)),
                    Cell(fmt_num(r.headline_rate_pct), sort=r.headline_rate_pct),
                    Cell(r.summary + (f"\nNote: {r.notes}" if r.notes else "")),
                    self.source_cell(r.source_id),
                ]
            )
        return table

    def partners_table(self, partners: pd.DataFrame) -> Table:
        table = Table(
            [
                ("Partner", "text"),
                ("Region", "text"),
                ("Rate in force %", "number"),
                ("2 Apr 2025 %", "number"),
                ("Highest threatened %", "number"),
                ("Latest deal", "text"),
                ("Deal status", "text"),
                ("Pledged US$ bn", "number"),
                ("Events", "number"),
            ],
            table_id="partners",
        )
        for p in partners.itertuples():
            table.rows.append(
                [
                    self.partner_cell(p.partner_id),
                    Cell(self.label("partners", "region", p.region)),
                    Cell(p.rate_now_text, sort=p.rate_now),
                    Cell(fmt_num(p.rate_april), sort=p.rate_april),
                    Cell(fmt_num(p.threatened_max), sort=p.threatened_max),
                    Cell(p.deal),
                    Cell(self.label("agreements", "status", p.deal_status) if p.deal_status else ""),
                    Cell(fmt_num(p.pledged_usd_bn), sort=p.pledged_usd_bn),
                    Cell(str(p.events), sort=p.events),
                ]
            )
        return table

    def matrix_table(self) -> Table:
        m = derive.key_date_matrix(self.v)
        table = Table(
            [("Partner", "text")] + [(label, "number") for label, _, _ in self.v.key_dates], table_id="matrix"
        )
        for r in m.to_dict("records"):
            table.rows.append(
                [self.partner_cell(r["partner_id"])]
                + [Cell(r[label][1], sort=r[label][0]) for label, _, _ in self.v.key_dates]
            )
        return table

    def headline_table(self) -> Table:
        main = self.v.partners[
            (self.v.partners["rate_now"].notna())
            & (self.v.partners["kind"] != "all")
            & (self.v.partners["member_of"] == "")
        ]
        main = main.sort_values(["events", "partner_id"], ascending=[False, True]).head(12)
        table = Table([("Partner", "text"), ("All-goods rate in force %", "number"), ("Latest deal", "text")])
        for p in main.itertuples():
            table.rows.append([self.partner_cell(p.partner_id), Cell(p.rate_now_text, sort=p.rate_now), Cell(p.deal)])
        return table
