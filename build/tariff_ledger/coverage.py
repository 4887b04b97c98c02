"""Coverage: how complete the record is, measured against the Data issue's targets."""

from __future__ import annotations

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
        targets.append(
            {
                "what": "events in all" if pid == "ALL" else f"events for {pid}",
                "target": need,
                "have": have,
                "met": have >= need,
            }
        )
    instrument_share = float((rates["legal_instrument"] != "").mean()) if len(rates) else 0.0
    return {
        "data_as_of": f"{views.as_of:%Y-%m-%d}",
        "latest_event": f"{t['events']['date'].max():%Y-%m-%d}" if len(t["events"]) else "",
        "rows": {n: len(t[n]) for n in RESOURCES},
        "events_per_partner": {k: int(v) for k, v in events_per.sort_index().items()},
        "targets": targets,
        "lacking": lacking,
        "official_share": {
            n: round(official_share(views, n), 3) for n in RESOURCES if n not in ("partners", "sources")
        },
        "rates_with_instrument": round(instrument_share, 3),
    }


def format_text(c: dict) -> str:
    out = [f"data_as_of {c['data_as_of']}; latest event {c['latest_event']}", "", "rows per resource:"]
    out += [f"  {n:<13} {v:>6}" for n, v in c["rows"].items()]
    out += ["", "targets:"]
    out += [f"  {'ok  ' if x['met'] else 'MISS'} {x['what']:<18} {x['have']:>5} / {x['target']}" for x in c["targets"]]
    out += ["", "share of rows citing an official source (order, proclamation, FR, fact sheet, statement, ruling):"]
    out += [f"  {n:<13} {v:>6.1%}" for n, v in c["official_share"].items()]
    out.append(f"  tariff_rates rows naming a legal instrument: {c['rates_with_instrument']:.1%}")
    out += ["", "events per partner:"]
    out += ["  " + ", ".join(f"{k} {v}" for k, v in c["events_per_partner"].items())]
    out += ["", "countries and territories lacking each key rate (not every partner had one):"]
    out += [f"  {label} ({len(ids)}): {', '.join(ids) or '-'}" for label, ids in c["lacking"].items()]
    return "\n".join(out)
