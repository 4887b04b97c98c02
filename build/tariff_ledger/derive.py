"""Derive stage: the views the site shows, computed from the validated tables. Nothing here is stored
back in datasets/.

How rows combine (DESIGN.md): a partner's own row overrides the WLD row, and an EU member's inherited
EUU row, of the same authority and product scope while both are in force. In-quota rows run beside the
general rate and override only other in-quota rows. Different authorities are different layers.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from .combine import IN_QUOTA, Layer, Period, Rule, history, matches
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
    # The combined answers: (partner, product scope, condition) -> the answer over time since 2025.
    answers: dict[tuple[str, str, str], list[Period]] = field(default_factory=dict)
    scopes: dict[str, list[str]] = field(default_factory=dict)  # partner -> its scopes, in schema order
    conditions: dict[str, list[str]] = field(default_factory=dict)  # partner -> conditions with answers
    # partner -> its rules sparing goods by a condition the answers do not split on (generic medicines):
    # shown beside an answer, not applied to it
    spared: dict[str, list[Rule]] = field(default_factory=dict)
    rules: dict[str, dict] = field(default_factory=dict)  # rule_id -> the rule's row
    owners: dict[str, list[str]] = field(default_factory=dict)  # partner -> whose rows hold for it (chain)
    pending: set[str] = field(default_factory=set)  # stated rows (threatened, announced) not yet acted on
    enacted_periods: dict[tuple, list] = field(default_factory=dict)  # (owner, authority, scope) -> periods
    inputs: dict[str, tuple[list, list]] = field(default_factory=dict)  # partner -> (its layers, its rules)
    names: dict[str, str] = field(default_factory=dict)  # partner -> its name

    def partner_name(self, pid: str) -> str:
        return "all partners" if pid == "WLD" else self.names.get(pid, pid)

    @functools.cached_property
    def event_pages(self) -> dict[str, str]:
        """Each event's page on the timeline (event_pages), worked out once for every page and feed."""
        return event_pages(self.tables["events"])


class _Covered:
    """Disjoint periods, kept sorted and merged: what more specific or corrected rows of one layer took."""

    def __init__(self):
        self.starts: list = []
        self.untils: list = []

    def free(self, start, until) -> list[tuple]:
        """The parts of [start, until) not covered (only the periods that overlap it are looked at)."""
        parts, i, at = [], bisect.bisect_right(self.untils, start), start
        while i < len(self.starts) and self.starts[i] < until:
            if self.starts[i] > at:
                parts.append((at, self.starts[i]))
            at = max(at, self.untils[i])
            i += 1
        if at < until:
            parts.append((at, until))
        return parts

    def take(self, start, until) -> None:
        i = bisect.bisect_left(self.untils, start)  # the first period that touches or follows it
        j = i
        while j < len(self.starts) and self.starts[j] <= until:
            start, until = min(start, self.starts[j]), max(until, self.untils[j])
            j += 1
        self.starts[i:j], self.untils[i:j] = [start], [until]


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
        covered: dict[tuple, _Covered] = {}  # layer -> periods already taken by more specific or corrected rows
        for via in chain:
            for _, layer, start, until, rate_id in by_partner.get(via, []):
                taken = covered.setdefault(layer, _Covered())
                for a, b in taken.free(start, until):
                    segments.append(Segment(p.partner_id, rate_id, a, b, via))
                # Rows of one partner and layer never overlap (a validation rule), so what a row takes
                # only ever cuts rows of less specific partners, or the rows a correction replaced.
                taken.take(start, until)
    return segments


ANSWERS_FROM = pd.Timestamp("2025-01-01")  # the record's start: answers are computed from here on


def chain(partners: pd.DataFrame) -> dict[str, list[str]]:
    """Whose rows and rules hold for each partner, most specific first: itself, its bloc, WLD."""
    return {
        p.partner_id: [p.partner_id]
        + ([p.member_of] if p.member_of else [])
        + (["WLD"] if p.partner_id != "WLD" else [])
        for p in partners.itertuples()
    }


def combined_answers(views: Views) -> None:
    """For every partner, each of its product scopes and each condition its rules name (and within-quota
    entry where it has a quota), the combined answer over time. Computed once; render, the date picker,
    the charts and the rankings only show it."""
    t = views.tables
    rates, rule_rows = t["tariff_rates"], t["combination_rules"]
    order = views.pkg.field("tariff_rates", "product_scope")
    shipment = set(order.get("shipmentScopes", []))
    alternative = set(views.pkg.field("combination_rules", "condition").get("alternativeConditions", []))
    scope_order = {s: i for i, s in enumerate(order["constraints"]["enum"])}
    rules = [
        Rule(
            r.rule_id,
            r.kind,
            r.partner_id,
            (r.authority, r.measure, r.product_scope),
            (r.by_authority, r.by_measure, r.by_product_scope),
            r.condition,
            r.valid_from,
            END_OF_TIME if pd.isna(r.valid_until) else r.valid_until,
        )
        for r in rule_rows.itertuples()
    ]
    views.rules = {r["rule_id"]: r for r in rule_rows.to_dict("records")}
    rows_of = {pid: set(g) for pid, g in rates.groupby("partner_id")["product_scope"]}
    quota_of = set(rates.loc[rates["rate_basis"] == IN_QUOTA, "partner_id"])
    views.owners = chain(t["partners"])
    done: dict[tuple, dict] = {}
    memo: dict = {}  # combined answers shared by all partners (combine.history)
    for pid, owners in views.owners.items():
        layers = []
        for s in views.by_partner.get(pid, []):
            if s.until <= ANSWERS_FROM:
                continue
            r = views.rate_records[s.rate_id]
            rate = None if pd.isna(r["rate_pct"]) else float(r["rate_pct"])
            layers.append(
                Layer(
                    s.rate_id,
                    r["authority"],
                    r["measure"],
                    r["product_scope"],
                    r["rate_basis"],
                    rate,
                    s.via,
                    s.start,
                    s.until,
                )
            )
        mine = [r for r in rules if r.partner_id in owners]
        views.inputs[pid] = (layers, mine)
        scopes = set().union(*(rows_of.get(o, set()) for o in owners)) - shipment
        views.scopes[pid] = sorted(scopes | {"all-goods"}, key=lambda x: scope_order.get(x, len(scope_order)))
        by_condition = [r for r in mine if r.kind == "exempts" and r.condition]
        views.conditions[pid] = sorted({r.condition for r in by_condition if r.condition in alternative}) + (
            [IN_QUOTA] if quota_of & set(owners) else []
        )
        views.spared[pid] = [r for r in by_condition if r.condition not in alternative]
        keys = [(scope, c) for scope in views.scopes[pid] for c in ["", *views.conditions[pid]]]
        # Partners with the same layers and rules (the EU's members) have the same answers: made once.
        sig = (tuple(keys), layer_signature(layers), tuple(r.rule_id for r in mine))
        if sig not in done:
            done[sig] = history(layers, mine, keys, ANSWERS_FROM, END_OF_TIME, memo)
        for (scope, c), periods in done[sig].items():
            views.answers[(pid, scope, c)] = periods


def layer_signature(layers: list[Layer]) -> tuple:
    return tuple((x.rate_id, x.via, x.start, x.until) for x in layers)


@dataclass
class ProductLists:
    """The product lists for look-ups: each code with the lists that hold it or a shorter code it starts
    with (its signature: which lists a product under that code is on)."""

    lists: dict[str, dict]
    signatures: list[tuple[str, ...]]
    code_signature: dict[str, int]  # every code a list gives -> its signature
    cache: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict)  # combined answers shared by all partners (combine.history)


def product_lists(tables: dict[str, pd.DataFrame]) -> ProductLists:
    lists = {r["list_id"]: r for r in tables["product_lists"].to_dict("records")}
    on: dict[str, set[str]] = {}
    for lid, code in zip(tables["product_codes"]["list_id"], tables["product_codes"]["hts_code"], strict=True):
        on.setdefault(code, set()).add(lid)
    signatures: dict[tuple, int] = {(): 0}
    code_signature = {}
    for code in on:
        sig = tuple(sorted(set().union(*(on.get(code[:k], set()) for k in range(2, len(code) + 1, 2)))))
        code_signature[code] = signatures.setdefault(sig, len(signatures))
    return ProductLists(lists, sorted(signatures, key=signatures.get), code_signature)


def product_key(scopes: tuple[str, ...], exempt: tuple) -> str:
    """How the look-up names what the lists say of a product on a day: the scopes it is covered under, and
    the layers (authority/measure) its lists exempt it from (the site's script builds the same string)."""
    return "+".join(sorted(scopes)) + ";" + "+".join(sorted(f"{a}/{m}" for a, m, _ in exempt))


def list_holds(row: dict, day: pd.Timestamp) -> bool:
    return row["valid_from"] <= day and (pd.isna(row["valid_until"]) or day < row["valid_until"])


def product_combos(lists: ProductLists, owners: frozenset[str]) -> set[tuple]:
    """Every (scopes, exemptions) a product can have on some day, for the lists that hold for `owners`."""
    if (owners, "combos") in lists.cache:
        return lists.cache[(owners, "combos")]
    combos = set()
    for sig in lists.signatures:
        mine = [lists.lists[lid] for lid in sig if lists.lists[lid]["partner_id"] in owners]
        days = {ANSWERS_FROM} | {d for r in mine for d in (r["valid_from"], r["valid_until"]) if not pd.isna(d)}
        for day in days:
            # A conditional list (goods for civil aircraft, say) is shown beside the answer, not applied.
            active = [r for r in mine if list_holds(r, day) and not r["condition"]]
            scopes = tuple(
                sorted({r["product_scope"] for r in active if r["effect"] == "covers" and r["product_scope"]})
            )
            exempt = tuple(sorted({(r["authority"], r["measure"], "") for r in active if r["effect"] == "exempts"}))
            combos.add((scopes, exempt))
    lists.cache[(owners, "combos")] = combos
    return combos


def product_answers(
    views: Views, lists: ProductLists, pid: str, cache: dict | None = None
) -> dict[tuple, list[Period]]:
    """For one partner, the combined answer at product level for every combination of lists a product
    can be on (the combination rules applied to the layers of the scopes its covering lists name, minus
    the layers its exempting lists lift), over time, for all goods ("") and under each condition the
    partner's rules name (USMCA-qualifying goods, say). Keyed by (product_key, condition)."""
    # Partners with no list of their own share the all-partner lists' combinations.
    listed = {r["partner_id"] for r in lists.lists.values()}
    owners = frozenset(o for o in views.owners[pid] if o in listed)
    layers, rules = views.inputs[pid]
    conditions = ["", *views.conditions.get(pid, [])]
    # Partners with the same layers, rules and lists (the EU's members, which have no rows of their own)
    # have the same answers: `cache` keeps them across partners.
    sig = (
        owners,
        tuple(conditions),
        layer_signature(layers),
        tuple(r.rule_id for r in rules),
    )
    if cache is not None and sig in cache:
        return cache[sig]
    combos = product_combos(lists, owners)
    keys = [(scopes or ("all-goods",), c, exempt) for scopes, exempt in sorted(combos) for c in conditions]
    found = history(layers, rules, keys, ANSWERS_FROM, END_OF_TIME, lists.memo)
    out = {  # in a fixed order: the look-up's files number the answers' periods in this order
        (product_key(scopes, exempt), c): found[(scopes or ("all-goods",), c, exempt)]
        for scopes, exempt in sorted(combos)
        for c in conditions
    }
    if cache is not None:
        cache[sig] = out
    return out


def pending_stated(rates: pd.DataFrame) -> set[str]:
    """Threatened and announced rows that no later decision on the same partner, authority, measure and
    scope has overtaken (a later row announced or taking effect, or the layer's end: a threat to raise a
    struck-down tariff is moot). These are the next steps and the live threats."""
    # Per layer, the two rows decided or ended last (the latest other than a row itself is then at hand).
    latest: dict[tuple, list[tuple]] = {}
    for r in rates[rates["stage"] != "threatened"].itertuples():
        decided = r.announced_on if not pd.isna(r.announced_on) else r.effective_from
        days = [d for d in (decided, r.ended_on) if not pd.isna(d)]
        if days:
            top = latest.setdefault((r.partner_id, r.authority, r.measure, r.product_scope), [])
            top.append((max(days), r.rate_id))
            top.sort(reverse=True)
            del top[2:]
    out = set()
    for r in rates[rates["stage"] != "enacted"].itertuples():
        top = latest.get((r.partner_id, r.authority, r.measure, r.product_scope), [])
        later = next((day for day, rid in top if rid != r.rate_id), None)
        if later is None or pd.isna(r.announced_on) or not later > r.announced_on:
            out.add(r.rate_id)
    return out


def overridden(views: Views, pid: str, r: dict) -> bool:
    """An announced row of a wider owner (all partners) for a layer on which the partner or its bloc has
    an enacted rate of its own on the day the announced one is to start: the narrower row holds, as in
    resolve_segments, so the wider one is not the partner's next step (EU furniture keeps its 15% ceiling
    when the global rate is set to rise)."""
    owners = views.owners.get(pid, [pid])
    if r["stage"] != "announced" or r["partner_id"] not in owners:
        return False
    day = r["effective_from"] if not pd.isna(r["effective_from"]) else r["announced_on"]
    return any(
        start <= day < until
        for o in owners[: owners.index(r["partner_id"])]
        for start, until in views.enacted_periods.get((o, r["authority"], r["product_scope"]), ())
    )


def exempt_beside(views: Views, pid: str, scope: str, day: pd.Timestamp, layers: tuple[Layer, ...]) -> list[str]:
    """Of the partner's rules that spare goods by a condition the answers do not split on (views.spared),
    the ones holding on `day` that spare goods from a layer that applies: one rule per condition."""
    seen: dict[str, str] = {}
    for r in views.spared.get(pid, []):
        # a rule naming the asked goods reaches every layer on them, as in combine()
        target = (r.target[0], r.target[1], "" if r.target[2] == scope else r.target[2])
        if r.holds(day) and any(matches(target, x) for x in layers):
            seen.setdefault(r.condition, r.rule_id)
    return list(seen.values())


def answer_on(views: Views, pid: str, scope: str, day: pd.Timestamp, condition: str = "") -> Period | None:
    """The period of the combined answer that holds on `day` (None before 2025 or for an unknown scope)."""
    periods = views.answers.get((pid, scope, condition), [])
    i = bisect.bisect_right([p.start for p in periods], day) - 1
    return periods[i] if i >= 0 and day < periods[i].until else None


def in_force(views: Views, partner_id: str, day: pd.Timestamp) -> list[dict]:
    """The rate rows applying to `partner_id` on `day` (as dicts), each with `via`: whose row it is."""
    hits = [
        {**views.rate_records[s.rate_id], "via": s.via}
        for s in views.by_partner.get(partner_id, [])
        if s.start <= day < s.until
    ]
    return sorted(hits, key=lambda r: (r["authority"], r["product_scope"], r["rate_id"]))


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
    """One row per partner with its headline figures, from the combined answers."""
    t = views.tables
    rates, pledges, agreements = t["tariff_rates"], t["pledges"], t["agreements"]
    april = rates[april_2_rates(rates)].groupby("partner_id")["rate_pct"].max()
    threatened = rates[(rates["stage"] == "threatened") & (rates["product_scope"] == "all-goods")]
    threatened = threatened.groupby("partner_id")["rate_pct"].max()
    events = t["events"]["partner_id"].value_counts()
    deals = agreements.groupby("partner_id").size()
    whole = pledges[(pledges["part_of"] == "") & (pledges["amount_basis"] == "total")]
    pledged = whole.groupby("partner_id")["amount_usd_bn"].sum()
    rate_rows = rates["partner_id"].value_counts()
    rows = []
    for p in t["partners"].itertuples():
        own = [o for o in (p.partner_id, p.member_of) if o]
        now = answer_on(views, p.partner_id, "all-goods", views.as_of)
        rows.append(
            {
                "partner_id": p.partner_id,
                "name": p.name,
                "adjective": p.adjective,
                "aliases": p.aliases,
                "kind": p.kind,
                "region": p.region,
                "member_of": p.member_of,
                "rate_now": now.answer.value if now else None,
                "rate_april": max((float(april[o]) for o in own if o in april), default=None),
                "threatened_max": max((float(threatened[o]) for o in own if o in threatened), default=None),
                "deal_count": int(sum(deals.get(o, 0) for o in own)),
                "pledged_total_usd_bn": float(pledged.get(p.partner_id, 0.0)),
                "events": int(events.get(p.partner_id, 0)),
                "rate_rows": int(rate_rows.get(p.partner_id, 0)),
            }
        )
    return pd.DataFrame(rows)


def key_dates(as_of: pd.Timestamp) -> list[tuple[str, str, pd.Timestamp | None, str]]:
    """The dates the rankings offer: (label, mode, day, slug). Modes: in force on the day, or the rates a
    stage's rows stated."""
    return [
        ("2 Apr 2025: rates announced", "announced-2025-04-02", None, "2025-04-02-announced"),
        ("9 Apr 2025: the one day of country rates", "in-force", pd.Timestamp("2025-04-09"), "2025-04-09"),
        ("July 2025: the letters", "threatened-2025-07", None, "2025-07-letters"),
        ("7 Aug 2025: EO 14326 rates", "in-force", pd.Timestamp("2025-08-07"), "2025-08-07"),
        ("1 Jan 2026", "in-force", pd.Timestamp("2026-01-01"), "2026-01-01"),
        ("24 Feb 2026: Section 122 replaces IEEPA", "in-force", pd.Timestamp("2026-02-24"), "2026-02-24"),
        ("24 Jul 2026: Section 122 ends", "in-force", pd.Timestamp("2026-07-24"), "2026-07-24"),
        (f"{as_of:%-d %b %Y}: data date", "in-force", as_of, "latest"),
    ]


def ranking(views: Views, mode: str, day: pd.Timestamp | None, scope: str = "all-goods") -> list[dict]:
    """Every partner (the EU once, not each member) ranked by its rate on a key date, highest first, with
    what sets it: the combined answer in force on the day, or the rate a stage's rows stated."""
    rates = views.tables["tariff_rates"]
    stated = {"announced-2025-04-02": rates[april_2_rates(rates)], "threatened-2025-07": rates[july_letters(rates)]}
    out = []
    for p in views.tables["partners"].itertuples():
        if p.partner_id == "WLD" or p.member_of:
            continue
        if mode == "in-force":
            period = answer_on(views, p.partner_id, scope, day)
            if period is None or period.answer.value is None:
                continue
            out.append({"partner_id": p.partner_id, "value": period.answer.value, "period": period, "rows": []})
        else:
            hits = stated[mode][stated[mode]["partner_id"] == p.partner_id]
            if len(hits):
                top = hits.sort_values(["rate_pct", "rate_id"], ascending=[False, True]).iloc[0]
                out.append(
                    {
                        "partner_id": p.partner_id,
                        "value": float(top["rate_pct"]),
                        "period": None,
                        "rows": [top["rate_id"]],
                    }
                )
    return sorted(out, key=lambda r: (-r["value"], views.names[r["partner_id"]]))  # ties: by name, as a reader looks


def pledge_totals(views: Views) -> pd.DataFrame:
    """Pledged amounts that may be added together: whole pledges only (a part is inside its whole), by who
    pledges and whether the amount is a total or a yearly amount (the two are never added), by category."""
    p = views.tables["pledges"]
    whole = p[(p["part_of"] == "") & p["amount_usd_bn"].notna()]
    return (
        whole.groupby(["pledged_by", "amount_basis", "category"], as_index=False)
        .agg(amount_usd_bn=("amount_usd_bn", "sum"), pledges=("pledge_id", "count"))
        .sort_values(["pledged_by", "amount_basis", "amount_usd_bn"], ascending=[True, False, False])
        .reset_index(drop=True)
    )


def timeline(events: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Events newest first, grouped by month: [("2025-07", rows), ...]."""
    ev = events.sort_values(["date", "event_id"], ascending=[False, True])
    return [(month, grp) for month, grp in ev.groupby(ev["date"].dt.strftime("%Y-%m"), sort=False)]


EVENTS_PER_PAGE = 100  # a month's events per page of the timeline


def event_pages(events: pd.DataFrame) -> dict[str, str]:
    """Each event's page on the timeline, from the site's root: timeline/2025-07/, or timeline/2025-07/2/
    and on where a month holds more than EVENTS_PER_PAGE events (newest first)."""
    out = {}
    for month, rows in timeline(events):
        for i, eid in enumerate(rows["event_id"]):
            k = i // EVENTS_PER_PAGE + 1
            out[eid] = f"timeline/{month}/" + (f"{k}/" if k > 1 else "")
    return out


def official_share(views: Views, resource: str) -> float:
    """Share of a resource's rows whose cited source is an official document."""
    kinds = views.tables["sources"].set_index("source_id")["kind"]
    cited = views.tables[resource]["source_id"].map(kinds)
    return float(cited.isin(views.pkg.official_kinds).mean()) if len(cited) else 0.0


# The preview server's last combined answers, by a hash of what they are computed from: an edit that
# leaves the rates, the rules and the partners alone (an event's title, say) does not recompute them.
_ANSWERS: dict[str, tuple] = {}
ANSWER_INPUTS = ("tariff_rates", "combination_rules", "partners")
ANSWER_FIELDS = ("answers", "scopes", "conditions", "spared", "rules", "owners", "inputs")


def answers_key(pkg: Package) -> str:
    h = hashlib.sha256(pkg.data_as_of.encode())
    for name in ANSWER_INPUTS:
        h.update((pkg.root / pkg.resource(name)["path"]).read_bytes())
        h.update((pkg.root / pkg.resource(name)["schema"]).read_bytes())
    return h.hexdigest()


def derive(pkg: Package, tables: dict[str, pd.DataFrame], reuse: bool = False) -> Views:
    """The views the pages show. reuse (the preview server): keep the combined answers of the last call
    in this process when their inputs are unchanged."""
    as_of = pd.Timestamp(date.fromisoformat(pkg.data_as_of))
    views = Views(pkg=pkg, tables=tables, as_of=as_of, segments=resolve_segments(tables), partners=pd.DataFrame())
    views.rate_records = {r["rate_id"]: r for r in tables["tariff_rates"].to_dict("records")}
    for s in views.segments:
        views.by_partner.setdefault(s.partner_id, []).append(s)
    views.key_dates = key_dates(as_of)
    views.names = dict(zip(tables["partners"]["partner_id"], tables["partners"]["name"], strict=True))
    key = answers_key(pkg) if reuse else ""
    if key and key in _ANSWERS:
        for name, value in zip(ANSWER_FIELDS, _ANSWERS[key], strict=True):
            setattr(views, name, value)
    else:
        combined_answers(views)
        if key:
            _ANSWERS.clear()
            _ANSWERS[key] = tuple(getattr(views, name) for name in ANSWER_FIELDS)
    views.pending = pending_stated(tables["tariff_rates"])
    for r in tables["tariff_rates"].itertuples():
        if r.stage == "enacted" and not pd.isna(r.effective_from):
            until = END_OF_TIME if pd.isna(r.ended_on) else r.ended_on
            views.enacted_periods.setdefault((r.partner_id, r.authority, r.product_scope), []).append(
                (r.effective_from, until)
            )
    views.partners = partner_rows(views)
    return views
