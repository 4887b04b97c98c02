"""Coverage: how complete the record is. Rows per resource and per month (so a thin month shows at a
glance), the latest date of each resource, targets, partners lacking each key rate, the share of rows
citing an official source, and the rows that rest on a tracker's repository or on low-grade outlets alone."""

from __future__ import annotations

import pandas as pd

from .derive import KEY_RATES, Views, official_share
from .package import RESOURCES

EVENT_TARGETS = {
    "ALL": 250,
    "KOR": 60,
    "JPN": 10,
    "EUU": 10,
    "CHN": 10,
    "GBR": 10,
    "CAN": 10,
    "MEX": 10,
    "IND": 10,
    "CHE": 10,
    "TWN": 10,
    "VNM": 10,
}
FIRST_MONTH = "2025-01"


def dated(views: Views, name: str) -> pd.Series:
    """Each row's date for coverage: the first non-empty of the schema's coverageDate fields."""
    fields = views.pkg.schemas[name].get("coverageDate", [])
    df = views.tables[name]
    out = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for f in fields:
        out = out.fillna(df[f])
    return out


def months_table(views: Views) -> tuple[list[str], dict[str, dict[str, int]], dict[str, str]]:
    """Months from January 2025 to the data date; rows per month per resource; each resource's latest date."""
    months = [f"{m:%Y-%m}" for m in pd.period_range(FIRST_MONTH, views.as_of.strftime("%Y-%m"), freq="M")]
    per, latest = {}, {}
    for name in RESOURCES:
        if not views.pkg.schemas[name].get("coverageDate"):
            continue
        d = dated(views, name).dropna()
        counts = d.dt.strftime("%Y-%m").value_counts()
        per[name] = {m: int(counts.get(m, 0)) for m in months}
        latest[name] = f"{d[d <= views.as_of].max():%Y-%m-%d}" if (d <= views.as_of).any() else ""
    return months, per, latest


def resting_on(views: Views, alone) -> dict[str, list[str]]:
    """Rows whose cited sources all pass `alone(source row)` (a tracker's repository, a low-grade outlet)."""
    sources = views.tables["sources"].set_index("source_id")
    flagged = set(sources.index[sources.apply(alone, axis=1)])
    out = {}
    for name in RESOURCES:
        df = views.tables[name]
        if "source_id" not in df or name == "sources":
            continue
        second = df["second_source_id"] if "second_source_id" in df else pd.Series("", index=df.index)
        rests = df["source_id"].isin(flagged) & (second.isin(flagged) | (second == ""))
        ids = df.loc[rests, views.pkg.schemas[name]["primaryKey"][0]]
        if len(ids):
            out[name] = sorted(ids)
    return out


def tracker_only(views: Views) -> dict[str, list[str]]:
    """Rows whose cited sources are all trackers' repositories (no primary text or news seen)."""
    return resting_on(views, lambda s: s["kind"] == "tracker")


def low_grade_only(views: Views) -> dict[str, list[str]]:
    """Rows whose cited sources are all low-grade outlets (each says why it stands in its notes)."""
    return resting_on(views, lambda s: s["grade"] == "low-grade")


def coverage(views: Views) -> dict:
    t = views.tables
    partners = t["partners"]
    countries = partners[partners["kind"].isin(["country", "territory"]) & (partners["member_of"] == "")]
    events_per = t["events"]["partner_id"].value_counts()
    rates = t["tariff_rates"]
    lacking = {
        label: sorted(set(countries["partner_id"]) - set(rates[test(rates)]["partner_id"]))
        for label, test in KEY_RATES.items()
    }
    targets = []
    for pid, need in EVENT_TARGETS.items():
        have = len(t["events"]) if pid == "ALL" else int(events_per.get(pid, 0))
        what = "events in all" if pid == "ALL" else f"events for {pid}"
        targets.append({"what": what, "target": need, "have": have, "met": have >= need})
    instrument_share = float((rates["legal_instrument"] != "").mean()) if len(rates) else 0.0
    months, per_month, latest = months_table(views)
    return {
        "data_as_of": f"{views.as_of:%Y-%m-%d}",
        "latest_event": f"{t['events']['date'].max():%Y-%m-%d}" if len(t["events"]) else "",
        "rows": {n: len(t[n]) for n in RESOURCES},
        "months": months,
        "rows_per_month": per_month,
        "latest": latest,
        "events_per_partner": {k: int(v) for k, v in events_per.sort_index().items()},
        "targets": targets,
        "lacking": lacking,
        "official_share": {
            n: round(official_share(views, n), 3) for n in RESOURCES if n != "sources" and "source_id" in t[n]
        },
        "rates_with_instrument": round(instrument_share, 3),
        "tracker_only": tracker_only(views),
        "low_grade_only": low_grade_only(views),
    }


def format_text(c: dict) -> str:
    out = [f"data_as_of {c['data_as_of']}; latest event {c['latest_event']}", "", "rows per resource (latest date):"]
    out += [f"  {n:<17} {v:>6}  {c['latest'].get(n, '')}" for n, v in c["rows"].items()]
    names = list(c["rows_per_month"])
    short = {n: n[:6] for n in names}
    out += ["", "rows per month (a thin month shows as a small number; . is none):"]
    out.append("  month    " + " ".join(f"{short[n]:>6}" for n in names))
    for m in c["months"]:
        out.append(f"  {m}  " + " ".join(f"{(c['rows_per_month'][n][m] or '.'):>6}" for n in names))
    out += ["", "targets:"]
    out += [f"  {'ok  ' if x['met'] else 'MISS'} {x['what']:<18} {x['have']:>5} / {x['target']}" for x in c["targets"]]
    out += ["", "share of rows citing an official source (order, proclamation, FR, fact sheet, statement, ruling):"]
    out += [f"  {n:<17} {v:>6.1%}" for n, v in c["official_share"].items()]
    out.append(f"  tariff_rates rows naming a legal instrument: {c['rates_with_instrument']:.1%}")
    out += ["", "rows resting on a tracker's repository alone:"]
    out += [
        f"  {n}: {len(ids)} ({', '.join(ids[:6])}{', ...' if len(ids) > 6 else ''})"
        for n, ids in c["tracker_only"].items()
    ]
    out += ["", "rows resting on low-grade outlets alone (their notes say why they stand):"]
    out += [
        f"  {n}: {len(ids)} ({', '.join(ids[:6])}{', ...' if len(ids) > 6 else ''})"
        for n, ids in c["low_grade_only"].items()
    ]
    out += ["", "events per partner:"]
    out += ["  " + ", ".join(f"{k} {v}" for k, v in c["events_per_partner"].items())]
    out += ["", "countries and territories lacking each key rate (not every partner had one):"]
    out += [f"  {label} ({len(ids)}): {', '.join(ids) or '-'}" for label, ids in c["lacking"].items()]
    return "\n".join(out)
