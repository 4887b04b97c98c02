"""The answers a reader meets first, in plain words (part of the render stage): what each kind of good
from a partner pays on a day, since when, what before, what next and what is threatened; the partner's
main deal; its pledges in plain numbers. Everything is taken from the combined answers of the derive
stage; this module only chooses the words and the links."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd

from . import derive
from .combine import IN_QUOTA, Answer, same_layers_since, unchanged_since
from .derive import Views

# Colour groups for the authorities in charts: at most six, so no two series share a colour.
AUTHORITY_SLOT = {
    "ieepa-reciprocal": 1,
    "ieepa-fentanyl": 1,
    "ieepa-other": 1,
    "section-232": 2,
    "section-122": 3,
    "section-301": 4,
    "section-338": 5,
    "section-201": 6,
    "other": 6,
}
# The kinds of good a card shows first (the rest fold under "more kinds of goods", unless the partner has a
# rate of its own on them).
FIRST_SCOPES = {"all-goods", "autos", "auto-parts", "steel", "aluminum", "copper", "pharmaceuticals", "semiconductors"}
# Agreement kinds that make a deal (the first four) or a step in one.
DEAL_KINDS = ("trade-agreement", "agreement-on-reciprocal-trade", "framework", "joint-statement", "mou", "arrangement")
SLOT_LABEL = {1: "IEEPA", 2: "Section 232", 3: "Section 122", 4: "Section 301", 5: "Section 338", 6: "Other"}


def pct(x: float | None) -> str:
    return "" if x is None else f"{x:,.2f}".rstrip("0").rstrip(".") + "%"


def years_text(first, last) -> str:
    """ ", 2026-2028" (with an en dash), ", from 2025" or "" for a pledge's years."""
    if pd.isna(first):
        return ""
    return f", {int(first)}–{int(last)}" if not pd.isna(last) else f", from {int(first)}"


def day(d) -> str:
    return "" if d is None or pd.isna(d) else f"{pd.Timestamp(d):%-d %b %Y}"


@dataclass
class Link:
    text: str
    href: str = ""
    title: str = ""


@dataclass
class Line:
    """One kind of good on an answer card."""

    scope: str
    heading: str  # "Korean cars and light trucks"
    rate: str  # "15%" or "No additional tariff"
    basis: str  # "including the normal duty" / "on top of the normal duty" / ""
    layers: list[Link] = field(default_factory=list)  # what sets the rate, each linked to its row and source
    not_applied: list[tuple[Link, Link]] = field(default_factory=list)  # (the layer, the rule why not)
    since: str = ""  # since when these layers set the rate
    rate_since: str = ""  # since when the goods paid this rate, where other layers set it before
    set_before: list[Link] = field(default_factory=list)  # the layers that set the same rate until `since`
    took_effect: str = ""
    before: str = ""
    next: list[Link] = field(default_factory=list)
    threats: list[Link] = field(default_factory=list)
    conditions: list[tuple[str, str]] = field(default_factory=list)  # ("USMCA-qualifying goods", "no ...")
    exempt: list[Link] = field(default_factory=list)  # goods spared by a condition (generic medicines)
    first: bool = True  # on the card's first screen, or among its "more kinds of goods"
    short: str = ""  # the kind of good, in a word or two
    synonyms: list[str] = field(default_factory=list)  # the partner's names and other words for the goods (search)
    lookup: str = ""  # the product look-up for these goods, this partner and day
    ceilings_only: bool = False  # the layers are all ceilings (Answer.ceilings_only): the highest holds


def rate_words(a: Answer | None) -> tuple[str, str]:
    """The rate and its basis in plain words."""
    if a is None or not a.applies:
        return "No additional tariff", ""
    if a.value is None or (a.unrated and not a.additional and a.ceiling is None):
        return "A fee, no single rate", ""
    if a.ceiling is not None and a.additional:
        return pct(
            a.ceiling + a.additional
        ), f"a {pct(a.ceiling)} ceiling including the normal duty, plus {pct(a.additional)}"
    if a.ceiling is not None:
        return pct(a.ceiling), "including the normal duty"
    return pct(a.additional), "on top of the normal duty"


class CardBuilder:
    """Needs the Renderer's views, labels, partner names, base path and source records."""

    v: Views
    base: str
    partner_names: dict
    source_records: dict

    def label(self, resource: str, column: str, value: str) -> str:  # provided by TableBuilder
        raise NotImplementedError

    def condition_name(self, condition: str) -> str:
        """A condition of the goods in words: a rule's condition, or goods entered within a quota (a
        rate basis, which the answers treat as a condition)."""
        if condition == IN_QUOTA:
            return self.label("tariff_rates", "rate_basis", condition)
        return self.label("combination_rules", "condition", condition)

    def row_href(self, resource: str, row_id: str, owner: str, pid: str) -> str:
        """Where a row is shown: on its owner's partner page, anchored by its id (a path, not a bare
        fragment: the same link serves the partner page, the rankings and the rates page)."""
        return f"{self.base}partners/{owner.lower()}/#{row_id}"

    def layer_name(self, r: dict, pid: str, via: str) -> str:
        name = self.label("tariff_rates", "authority", r["authority"])
        if r["measure"]:
            name += f" ({self.label('tariff_rates', 'measure', r['measure']).split(' (')[0]})"
        if via == "WLD":
            return name + ", all partners"
        if via != pid:
            return name + f", {self.partner_names[via]} rate"
        return name + f", rate for {self.partner_names[pid]}"

    def layer_link(self, rate_id: str, pid: str, via: str, with_rate: bool = False) -> Link:
        r = self.v.rate_records[rate_id]
        src = self.source_records[r["source_id"]]
        text = self.layer_name(r, pid, via)
        if with_rate and not pd.isna(r["rate_pct"]):
            text = f"{pct(r['rate_pct'])} {text}"
        return Link(text, self.row_href("tariff_rates", rate_id, r["partner_id"], pid), f"Source: {src['title']}")

    def rule_link(self, rule_id: str) -> Link:
        rule = self.v.rules[rule_id]
        words = rule["summary"].rstrip(".")
        if words[1:2].islower():
            words = words[:1].lower() + words[1:]
        return Link(words, f"{self.base}methodology/#{rule_id}", rule["legal_instrument"])

    def exempt_link(self, rule_id: str) -> Link:
        """The goods a rule spares by their condition, linked to the rule."""
        rule = self.rule_link(rule_id)
        return Link(self.condition_name(self.v.rules[rule_id]["condition"]), rule.href, rule.text)

    def heading(self, pid: str, scope: str, adjective: str) -> str:
        label = self.label("tariff_rates", "product_scope", scope)
        if scope == "all-goods":
            return f"All goods from {self.partner_names[pid]}" if pid != "WLD" else "All goods"
        if not adjective:
            return f"{label} (all partners)" if pid == "WLD" else f"{label} from {self.partner_names[pid]}"
        return f"{adjective} {label[0].lower() + label[1:]}"

    def card(self, p: dict, on: pd.Timestamp) -> list[Line]:
        pid = p["partner_id"]
        if (pid, on) in self.cards:
            return self.cards[(pid, on)]
        lines = []
        for scope in self.v.scopes.get(pid, []):
            periods = self.v.answers.get((pid, scope, ""), [])
            now = derive.answer_on(self.v, pid, scope, on)
            if now is None:
                continue
            a = now.answer
            i = periods.index(now)
            i0 = unchanged_since(periods, i)
            rate, basis = rate_words(a)
            line = Line(
                scope,
                self.heading(pid, scope, p.get("adjective", "")),
                rate,
                basis,
                first=scope in FIRST_SCOPES or any(x.via != "WLD" for x in a.applies),
                short=self.label("tariff_rates", "product_scope", scope).lower(),
                synonyms=[
                    p["name"],
                    *(a.strip() for a in str(p.get("aliases") or "").split(";") if a.strip() and a.strip() != "nan"),
                    *self.v.pkg.enum_synonyms("tariff_rates", "product_scope").get(scope, []),
                ],
            )
            line.lookup = f"{self.base}lookup/?" + urlencode({"partner": pid, "date": f"{on:%Y-%m-%d}"})
            line.layers = [self.layer_link(x.rate_id, pid, x.via, with_rate=len(a.applies) > 1) for x in a.applies]
            line.ceilings_only = a.ceilings_only
            line.not_applied = [
                (self.layer_link(x.rate_id, pid, x.via, with_rate=True), self.rule_link(rule)) for x, rule in a.excluded
            ]
            if a.applies:
                i1 = same_layers_since(periods, i, i0)
                line.since = day(periods[i1].start)
                if i1 > i0:
                    line.rate_since = day(periods[i0].start)
                    line.set_before = [self.layer_link(x.rate_id, pid, x.via) for x in periods[i1 - 1].answer.applies]
                took = max(
                    (
                        self.v.rate_records[x.rate_id]["effective_from"]
                        for x in a.applies
                        if not pd.isna(self.v.rate_records[x.rate_id]["retroactive_to"])
                    ),
                    default=None,
                )
                if took is not None and took > periods[i1].start:
                    line.took_effect = day(took)
            if i0 > 0:
                r, b = rate_words(periods[i0 - 1].answer)
                line.before = f"{r} {b}".strip() + f" (until {day(periods[i0].start)})"
            line.next = self.scheduled(pid, scope, on, a)
            line.threats = self.threats(pid, scope, on)
            for c in self.v.conditions.get(pid, []):
                alt = derive.answer_on(self.v, pid, scope, on, c)
                if alt is not None and alt.answer.key() != a.key():
                    r, b = rate_words(alt.answer)
                    name = self.condition_name(c)
                    line.conditions.append((name, f"{r} {b}".strip()))
            line.exempt = [self.exempt_link(rid) for rid in derive.exempt_beside(self.v, pid, scope, on, a.applies)]
            if scope == "all-goods" or a.applies or line.next or line.threats:
                lines.append(line)
        self.cards[(pid, on)] = lines
        return lines

    def stated(self, pid: str, scope: str, stage: str) -> list[dict]:
        """The partner's (and its bloc's and WLD's) stated rows of a stage for these goods still pending."""
        rows = (
            self.v.rate_records[rid] for o in self.v.owners[pid] for rid in self.stated_rows.get((o, scope, stage), [])
        )
        return [r for r in rows if not derive.overridden(self.v, pid, r)]

    def scheduled(self, pid: str, scope: str, on: pd.Timestamp, a: Answer) -> list[Link]:
        out = []
        soon = [
            r for r in self.stated(pid, scope, "announced") if pd.isna(r["effective_from"]) or r["effective_from"] > on
        ]
        for r in sorted(
            soon,
            key=lambda r: (pd.Timestamp.max if pd.isna(r["effective_from"]) else r["effective_from"], r["rate_id"]),
        ):
            when = f"from {day(r['effective_from'])}" if not pd.isna(r["effective_from"]) else "date not fixed"
            rate = pct(r["rate_pct"]) if not pd.isna(r["rate_pct"]) else "a measure"
            out.append(
                Link(
                    f"{rate} {when} (announced, {self.label('tariff_rates', 'authority', r['authority'])})",
                    self.row_href("tariff_rates", r["rate_id"], r["partner_id"], pid),
                )
            )
        for x in a.applies:
            r = self.v.rate_records[x.rate_id]
            if not pd.isna(r["ended_on"]) and r["ended_on"] > on:
                out.append(
                    Link(
                        f"the {pct(r['rate_pct'])} {self.label('tariff_rates', 'authority', r['authority'])} "
                        f"ends on {day(r['ended_on'])}",
                        self.row_href("tariff_rates", x.rate_id, r["partner_id"], pid),
                    )
                )
        return out

    def threats(self, pid: str, scope: str, on: pd.Timestamp) -> list[Link]:
        """Threats still live: no later decision on the layer (derive.pending_stated)."""
        said = [r for r in self.stated(pid, scope, "threatened") if r["announced_on"] <= on]
        return [
            Link(
                (pct(r["rate_pct"]) if not pd.isna(r["rate_pct"]) else "a tariff")
                + f" threatened on {day(r['announced_on'])}",
                self.row_href("tariff_rates", r["rate_id"], r["partner_id"], pid),
            )
            for r in sorted(said, key=lambda r: (r["announced_on"], r["rate_id"]))
        ]

    def main_deal(self, p: dict) -> dict | None:
        """The partner's main deal: the first agreement that set a headline rate (a side document, such as a
        critical-minerals framework, does not), else its first trade agreement or framework; and the latest
        step since, where there is one."""
        pid = p["partner_id"]
        if pid in self.deals:
            return self.deals[pid]
        own = sorted(
            (r for o in (pid, p["member_of"]) if o for r in self.records_of("agreements", o)),
            key=lambda r: (r["announced_on"], r["agreement_id"]),
        )
        rated = [r for r in own if not pd.isna(r["headline_rate_pct"])]
        pick = rated or [r for r in own if r["kind"] in DEAL_KINDS[:4]]
        if not pick:
            self.deals[pid] = None
            return None
        r = pick[0]
        # The latest step of the deal: the latest later agreement that states the headline rate, else the
        # latest later trade agreement or joint statement (not a framework: side documents, such as Japan's
        # critical-minerals framework, are frameworks).
        later = [x for x in own if x["announced_on"] > r["announced_on"]]
        steps = [x for x in later if not pd.isna(x["headline_rate_pct"])] or [
            x for x in later if x["kind"] in DEAL_KINDS[:4] and x["kind"] != "framework"
        ]
        last = steps[-1] if steps else None
        self.deals[pid] = {
            "title": r["title"],
            "href": self.row_href("agreements", r["agreement_id"], r["partner_id"], pid),
            "announced": day(r["announced_on"]),
            "signed": day(r["signed_on"]),
            "status": self.label("agreements", "status", r["status"]).lower(),
            "rate": pct(r["headline_rate_pct"]) if not pd.isna(r["headline_rate_pct"]) else "",
            "day": r["announced_on"] if not pd.isna(r["announced_on"]) else None,
            "latest": None
            if last is None
            else {
                "title": last["title"],
                "announced": day(last["announced_on"]),
                "status": self.label("agreements", "status", last["status"]).lower(),
                "href": self.row_href("agreements", last["agreement_id"], last["partner_id"], pid),
            },
        }
        return self.deals[pid]

    def pledge_lines(self, pid: str) -> list[dict]:
        """Pledges in plain numbers, by who pledges: totals and yearly amounts are never added together,
        and a part is shown inside its whole."""
        mine = self.records_of("pledges", pid)
        out = []
        for who in ("government", "both", "companies", "unclear"):
            rows = [r for r in mine if r["pledged_by"] == who and not r["part_of"]]
            if not rows:
                continue
            rows.sort(key=lambda r: (-(0 if pd.isna(r["amount_usd_bn"]) else r["amount_usd_bn"]), r["pledge_id"]))
            items = [
                {
                    "text": self.pledge_words(r),
                    "href": f"#{r['pledge_id']}",
                    "parts": [self.pledge_words(x) for x in mine if x["part_of"] == r["pledge_id"]],
                    "binding": self.label("pledges", "binding", r["binding"]).lower(),
                }
                for r in rows
            ]
            out.append({"who": self.label("pledges", "pledged_by", who), "entries": items})
        return out

    def pledge_words(self, r: dict) -> str:
        what = self.label("pledges", "category", r["category"]).lower()
        if pd.isna(r["amount_usd_bn"]):
            return f"{what}: {r['description']}"
        amount = f"US${r['amount_usd_bn']:,.1f}".rstrip("0").rstrip(".") + "bn"
        if r["amount_basis"] == "per-year":
            return f"{amount} a year of {what}{years_text(r['first_year'], r['last_year'])}"
        span = f" ({r['horizon']})" if r["horizon"] else ""
        return f"{amount} of {what}{span}"
