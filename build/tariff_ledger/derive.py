"""Derive stage: the views the site shows, computed from the validated tables. Nothing here is stored
back in datasets/.

How rows combine (DESIGN.md): a partner's own row overrides the WLD row, and an EU member's inherited
EUU row, of the same authority and product scope while both are in force. In-quota rows run beside the
general rate and override only other in-quota rows. Different authorities are different layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from .package import Package

END_OF_TIME = pd.Timestamp("2262-04-11")  # pandas' largest timestamp stands in for "still in force"


@dataclass(slots=True)
class Segment:
    """One enacted layer as it applies to one partner over [start, until)."""

    partner_id: str
    rate_id: str
    start: pd.Timestamp
    until: pd.Timestamp
    via: str  # the partner whose row it is: the partner itself, EUU or WLD


@dataclass
class Views:
    """Everything render and export need, derived once."""

    pkg: Package
    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    segments: list[Segment]
    partners: pd.DataFrame  # one row per partner with its headline figures
    key_dates: list[tuple[str, str, pd.Timestamp | None]] = field(default_factory=list)
    by_partner: dict[str, list[Segment]] = field(default_factory=dict)
    rate_records: dict[str, dict] = field(default_factory=dict)


def _subtract(start, until, cuts):
    """The parts of [start, until) not covered by any interval in cuts."""
    parts = [(start, until)]
    for c0, c1 in cuts:
        parts = [piece for a, b in parts for piece in ((a, min(b, c0)), (max(a, c1), b)) if piece[0] < piece[1]]
    return parts


def resolve_segments(tables: dict[str, pd.DataFrame]) -> list[Segment]:
    """Each partner's enacted layers over time, after overrides and retroactive corrections.

    A row with retroactive_to applies, as corrected, from that date: it takes precedence over the
    rows of the same partner and layer it replaced (Japan's stacked 15% of August 2025 became the
    all-in 15% back to 7 August). The rows themselves keep the dates they were in force as collected.
    """
    rates = tables["tariff_rates"]
    enacted = rates[(rates["stage"] == "enacted") & rates["effective_from"].notna()]
    by_partner: dict[str, list[tuple]] = {}
    for r in enacted.itertuples():
        layer = (r.authority, r.measure, r.product_scope, r.rate_basis == "in-quota")
        until = r.ended_on if not pd.isna(r.ended_on) else END_OF_TIME
        retro = not pd.isna(r.retroactive_to)
        start = r.retroactive_to if retro else r.effective_from
        by_partner.setdefault(r.partner_id, []).append((not retro, layer, start, until, r.rate_id))
    for rows in by_partner.values():
        rows.sort(key=lambda x: x[0])  # retroactive corrections first, so they cut the rows they replaced
    segments: list[Segment] = []
    for p in tables["partners"].itertuples():
        chain = [p.partner_id] + ([p.member_of] if p.member_of else []) + (["WLD"] if p.partner_id != "WLD" else [])
        covered: dict[tuple, list] = {}  # layer -> periods already taken by more specific or corrected rows
        for via in chain:
            for _, layer, start, until, rate_id in by_partner.get(via, []):
                for a, b in _subtract(start, until, covered.get(layer, [])):
                    segments.append(Segment(p.partner_id, rate_id, a, b, via))
                # Rows of one partner and layer never overlap (a validation rule), so what a row takes
                # only ever cuts rows of less specific partners, or the rows a correction replaced.
                covered.setdefault(layer, []).append((start, until))
    return segments


def in_force(views: Views, partner_id: str, day: pd.Timestamp) -> list[dict]:
    """The rate rows applying to `partner_id` on `day` (as dicts), each with `via`: whose row it is."""
    hits = [
        {**views.rate_records[s.rate_id], "via": s.via}
        for s in views.by_partner.get(partner_id, [])
        if s.start <= day < s.until
    ]
    return sorted(hits, key=lambda r: (r["authority"], r["product_scope"], r["rate_id"]))


def headline(layers: list[dict]) -> tuple[float | None, str]:
    """The all-goods rate: additional layers add up; an all-in ceiling is shown as such."""
    goods = [
        r
        for r in layers
        if r["product_scope"] == "all-goods" and r["rate_basis"] != "in-quota" and not pd.isna(r["rate_pct"])
    ]
    if not goods:
        return None, ""
    ceilings = [r["rate_pct"] for r in goods if r["rate_basis"] == "all-in"]
    extra = sum(r["rate_pct"] for r in goods if r["rate_basis"] == "additional")
    if ceilings:
        text = f"{_pct(max(ceilings))} all-in" + (f" + {_pct(extra)}" if extra else "")
        return float(max(ceilings) + extra), text
    return float(extra), _pct(extra)


def _pct(x: float) -> str:
    return f"{x:g}%"


def april_2_rates(r: pd.DataFrame) -> pd.Series:
    """The country rates announced on 2 April 2025 (EO 14257 Annex I, in force from 9 April)."""
    return (
        (r["authority"] == "ieepa-reciprocal")
        & (r["product_scope"] == "all-goods")
        & (r["announced_on"] == pd.Timestamp("2025-04-02"))
        & (r["effective_from"] == pd.Timestamp("2025-04-09"))
    )


def july_letters(r: pd.DataFrame) -> pd.Series:
    """The all-goods rates threatened in the letters of July 2025, under whatever authority."""
    return (
        (r["stage"] == "threatened")
        & (r["product_scope"] == "all-goods")
        & (r["announced_on"].dt.strftime("%Y-%m") == "2025-07")
    )


def eo_14326_rates(r: pd.DataFrame) -> pd.Series:
    """The reciprocal rates EO 14326 put in force on 7 August 2025."""
    return (
        (r["authority"] == "ieepa-reciprocal")
        & (r["stage"] == "enacted")
        & (r["effective_from"] == pd.Timestamp("2025-08-07"))
    )


# The key rates every partner page, the rates page and the coverage report speak of.
KEY_RATES = {
    "2 April 2025 rate": april_2_rates,
    "July 2025 letter": july_letters,
    "EO 14326 rate (7 Aug 2025)": eo_14326_rates,
}


def partner_rows(views: Views) -> pd.DataFrame:
    t = views.tables
    rates, pledges, agreements = t["tariff_rates"], t["pledges"], t["agreements"]
    april_rows = rates[april_2_rates(rates)]
    rows = []
    for p in t["partners"].itertuples():
        own = {p.partner_id, p.member_of} - {""}
        now_value, now_text = headline(in_force(views, p.partner_id, views.as_of))
        april = april_rows[april_rows["partner_id"].isin(own)]
        threatened = rates[
            (rates["partner_id"].isin(own)) & (rates["stage"] == "threatened") & (rates["product_scope"] == "all-goods")
        ]
        deals = agreements[agreements["partner_id"].isin(own)].sort_values("announced_on")
        pledged = pledges[(pledges["partner_id"] == p.partner_id) & (pledges["part_of"] == "")]["amount_usd_bn"].sum()
        rows.append(
            {
                "partner_id": p.partner_id,
                "name": p.name,
                "kind": p.kind,
                "region": p.region,
                "member_of": p.member_of,
                "rate_now": now_value,
                "rate_now_text": now_text,
                "rate_april": float(april["rate_pct"].max()) if len(april) else None,
                "threatened_max": float(threatened["rate_pct"].max()) if len(threatened) else None,
                "deal": deals.iloc[-1]["title"] if len(deals) else "",
                "deal_status": deals.iloc[-1]["status"] if len(deals) else "",
                "deal_count": len(deals),
                "pledged_usd_bn": float(pledged) if pledged else None,
                "events": int((t["events"]["partner_id"] == p.partner_id).sum()),
                "rate_rows": int((rates["partner_id"] == p.partner_id).sum()),
            }
        )
    return pd.DataFrame(rows)


def key_dates(as_of: pd.Timestamp) -> list[tuple[str, str, pd.Timestamp | None]]:
    """The columns of the rates page: (label, mode, day). Modes: in force on day, or a stage's rows."""
    return [
        ("2 Apr 2025 announced", "announced-2025-04-02", None),
        ("9 Apr 2025", "in-force", pd.Timestamp("2025-04-09")),
        ("July 2025 letters", "threatened-2025-07", None),
        ("7 Aug 2025", "in-force", pd.Timestamp("2025-08-07")),
        ("1 Jan 2026", "in-force", pd.Timestamp("2026-01-01")),
        ("24 Feb 2026", "in-force", pd.Timestamp("2026-02-24")),
        (f"{as_of:%-d %b %Y} (data as of)", "in-force", as_of),
    ]


def key_date_matrix(views: Views) -> pd.DataFrame:
    rates = views.tables["tariff_rates"]
    stated = {"announced-2025-04-02": rates[april_2_rates(rates)], "threatened-2025-07": rates[july_letters(rates)]}
    rows = []
    for p in views.tables["partners"].itertuples():
        if p.partner_id == "WLD":
            continue
        own = {p.partner_id, p.member_of} - {""}
        row = {"partner_id": p.partner_id, "name": p.name}
        for label, mode, day in views.key_dates:
            if mode == "in-force":
                value, text = headline(in_force(views, p.partner_id, day))
            else:
                hits = stated[mode][stated[mode]["partner_id"].isin(own)]
                value = float(hits["rate_pct"].max()) if len(hits) else None
                text = _pct(value) if value is not None else ""
            row[label] = (value, text)
        rows.append(row)
    return pd.DataFrame(rows)


def pledge_totals(views: Views) -> tuple[pd.DataFrame, pd.DataFrame]:
    whole = views.tables["pledges"][views.tables["pledges"]["part_of"] == ""]  # parts are inside their whole
    pledges = whole.merge(views.tables["partners"][["partner_id", "name"]], on="partner_id")
    by_partner = (
        pledges.groupby(["partner_id", "name"], as_index=False)["amount_usd_bn"]
        .sum()
        .sort_values(["amount_usd_bn", "partner_id"], ascending=[False, True])
    )
    by_category = (
        pledges.groupby("category", as_index=False)["amount_usd_bn"]
        .sum()
        .sort_values(["amount_usd_bn", "category"], ascending=[False, True])
    )
    return by_partner.reset_index(drop=True), by_category.reset_index(drop=True)


def timeline(events: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Events newest first, grouped by month: [("2025-07", rows), ...]."""
    ev = events.sort_values(["date", "event_id"], ascending=[False, True])
    return [(month, grp) for month, grp in ev.groupby(ev["date"].dt.strftime("%Y-%m"), sort=False)]


def official_share(views: Views, resource: str) -> float:
    """Share of a resource's rows whose cited source is an official document."""
    kinds = views.tables["sources"].set_index("source_id")["kind"]
    cited = views.tables[resource]["source_id"].map(kinds)
    return float(cited.isin(views.pkg.official_kinds).mean()) if len(cited) else 0.0


def derive(pkg: Package, tables: dict[str, pd.DataFrame]) -> Views:
    as_of = pd.Timestamp(date.fromisoformat(pkg.data_as_of))
    views = Views(pkg=pkg, tables=tables, as_of=as_of, segments=resolve_segments(tables), partners=pd.DataFrame())
    views.rate_records = {r["rate_id"]: r for r in tables["tariff_rates"].to_dict("records")}
    for s in views.segments:
        views.by_partner.setdefault(s.partner_id, []).append(s)
    views.key_dates = key_dates(as_of)
    views.partners = partner_rows(views)
    return views
