"""How tariff layers combine (part of the derive stage): the combination rules of
datasets/combination_rules.csv applied to the layers in force for a partner, a product scope and a day.

Nothing about stacking is written here: which layer excludes which, which goods are exempt and which
rates are ceilings all come from the rules. This module only knows what the rule kinds mean:
- exempts: goods of a product scope (or goods meeting a condition) do not pay the layer;
- excludes: where the 'by' layer applies to the goods, the layer does not;
- ceiling: the layer's rate is an all-in ceiling (the normal duty plus the layer is at most the rate).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import pandas as pd

IN_QUOTA = "in-quota"  # a condition of its own: goods entered within a quota pay the in-quota row


@dataclass(frozen=True, slots=True)
class Layer:
    """One enacted rate row as it applies to one partner over [start, until)."""

    rate_id: str
    authority: str
    measure: str
    scope: str
    basis: str
    rate: float | None
    via: str  # whose row it is: the partner itself, its bloc or WLD
    start: pd.Timestamp
    until: pd.Timestamp

    @property
    def layer(self) -> tuple[str, str, str]:
        return (self.authority, self.measure, self.scope)


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    kind: str
    partner_id: str
    target: tuple[str, str, str]  # authority, measure, product scope ("" = any)
    by: tuple[str, str, str]
    condition: str
    valid_from: pd.Timestamp
    valid_until: pd.Timestamp

    def holds(self, day: pd.Timestamp) -> bool:
        return self.valid_from <= day < self.valid_until


@dataclass
class RuleIndex:
    """The rules holding on a day, indexed by the layers they act on (built once per span of days)."""

    exempts: dict[str, list[Rule]]  # authority of the exempted layer -> rules
    excludes: dict[tuple[str, str], list[Rule]]  # (excluded authority, excluding authority) -> rules
    ceilings: dict[str, list[Rule]]  # authority of the capped layer -> rules

    @classmethod
    def of(cls, rules: list[Rule]) -> RuleIndex:
        idx = cls({}, {}, {})
        for r in rules:
            if r.kind == "exempts":
                idx.exempts.setdefault(r.target[0], []).append(r)
            elif r.kind == "excludes":
                idx.excludes.setdefault((r.target[0], r.by[0]), []).append(r)
            else:
                idx.ceilings.setdefault(r.target[0], []).append(r)
        return idx


def matches(side: tuple[str, str, str], layer: Layer) -> bool:
    authority, measure, scope = side
    return layer.authority == authority and measure in ("", layer.measure) and scope in ("", layer.scope)


@dataclass(frozen=True, slots=True)
class Answer:
    """The combined answer for a partner, a product scope (and a condition of the goods) on a day."""

    applies: tuple[Layer, ...]
    excluded: tuple[tuple[Layer, str], ...]  # (layer, rule_id): the layers that do not apply, and why
    ceilings: tuple[tuple[str, str], ...]  # (rate_id, rule_id): all-in layers and the rule that says how
    additional: float  # the additional layers, added to the normal duty
    ceiling: float | None  # the all-in ceiling, normal duty included, where one applies
    unrated: tuple[str, ...]  # rate_ids of layers with no single ad valorem rate (fees, de minimis)

    @property
    def value(self) -> float | None:
        """One number for charts and rankings: the ceiling plus any additional layer, or the additional
        duty; None where nothing applies."""
        if not self.applies:
            return None
        return (self.ceiling or 0.0) + self.additional

    @property
    def ceilings_only(self) -> bool:
        """Several layers apply and all are ceilings that include the normal duty: the highest holds, none
        is added to another (no instrument in the record says how two such ceilings combine)."""
        return len(self.applies) > 1 and all(x.basis == "all-in" for x in self.applies)

    def of_authority(self, authority: str) -> Answer | None:
        """The part of this answer one authority's layers make (Brazil's 50% is 10% reciprocal and 40%
        IEEPA-other), with the same arithmetic; None where none of its layers applies."""
        mine = tuple(x for x in self.applies if x.authority == authority)
        return _answer(mine, (), ()) if mine else None

    def key(self) -> tuple:
        """What makes two days' answers the same answer (layers, reasons and arithmetic)."""
        return (
            tuple(a.rate_id for a in self.applies),
            tuple((x.rate_id, r) for x, r in self.excluded),
            self.additional,
            self.ceiling,
        )


def combine(
    layers: list[Layer],
    rules: list[Rule] | RuleIndex,
    scope: str | tuple[str, ...],
    condition: str = "",
    exempt: tuple[tuple[str, str, str], ...] = (),
) -> Answer:
    """The layers (already in force on the day, already resolved for the partner) that apply to goods of
    `scope`, after the rules (already those holding on the day for the partner, or their index).

    `scope` is one product scope, or several for a product on several lists (steel that is also a car
    part); `exempt` holds (authority, measure, list_id) for the product lists that exempt the product
    from a layer (the reason given is "list:<list_id>")."""
    idx = rules if isinstance(rules, RuleIndex) else RuleIndex.of(rules)
    scopes = (scope,) if isinstance(scope, str) else (tuple(scope) or ("all-goods",))
    goods = [x for x in layers if x.scope in scopes or x.scope == "all-goods"]
    # In-quota rows apply only to goods entered within the quota, and there replace the general row.
    quota = {x.layer for x in goods if x.basis == IN_QUOTA}
    if condition == IN_QUOTA and quota:
        goods = [x for x in goods if x.basis == IN_QUOTA or x.layer not in quota]
    else:
        goods = [x for x in goods if x.basis != IN_QUOTA]
    # A layer for these goods replaces the all-goods layer of the same authority and measure.
    specific = {(x.authority, x.measure) for x in goods if x.scope in scopes and x.scope != "all-goods"}
    goods = [x for x in goods if not (x.scope == "all-goods" and (x.authority, x.measure) in specific)]
    excluded: list[tuple[Layer, str]] = []
    kept = []
    for x in goods:
        listed = next((f"list:{lid}" for a, m, lid in exempt if a == x.authority and m in ("", x.measure)), None)
        why = listed or next(
            (
                r.rule_id
                for r in idx.exempts.get(x.authority, ())
                if r.target[1] in ("", x.measure)
                and (
                    (r.condition and r.condition == condition and r.target[2] in ("", *scopes, x.scope))
                    or (not r.condition and r.target[2] in ("", *scopes))  # "": all the partner's goods
                )
            ),
            None,
        )
        if why:
            excluded.append((x, why))
        else:
            kept.append(x)
    # Exclusions: a layer is dropped when a layer that still applies excludes it. Layers are taken in an
    # order where every excluding layer comes before the layers it excludes (the rules are acyclic:
    # validation rejects two rules that exclude each other).
    edges = {}
    for x in kept:
        for m in kept:
            if m is x:
                continue
            for r in idx.excludes.get((x.authority, m.authority), ()):
                if matches(r.target, x) and matches(r.by, m):
                    edges[(m.rate_id, x.rate_id)] = r.rule_id
                    break
    order, pending = [], sorted(kept, key=lambda x: x.rate_id)
    while pending:
        ready = [x for x in pending if not any((m.rate_id, x.rate_id) in edges for m in pending if m is not x)]
        nxt = ready[0] if ready else pending[0]  # a cycle cannot pass validation; never loop forever
        order.append(nxt)
        pending.remove(nxt)
    applies: list[Layer] = []
    for x in order:
        why = next((edges[(m.rate_id, x.rate_id)] for m in applies if (m.rate_id, x.rate_id) in edges), None)
        if why:
            excluded.append((x, why))
        else:
            applies.append(x)
    applies.sort(key=lambda x: (x.authority, x.measure, x.scope, x.rate_id))
    ceilings = tuple(
        (x.rate_id, next((r.rule_id for r in idx.ceilings.get(x.authority, ()) if matches(r.target, x)), ""))
        for x in applies
        if x.basis == "all-in"
    )
    return _answer(tuple(applies), tuple(sorted(excluded, key=lambda e: e[0].rate_id)), ceilings)


def _answer(applies: tuple[Layer, ...], excluded: tuple, ceilings: tuple) -> Answer:
    """The arithmetic of an answer: the additional layers add up; all-in layers are ceilings (the highest
    holds); layers with no single rate are listed apart."""
    rated = [x for x in applies if x.rate is not None]
    caps = [x.rate for x in rated if x.basis == "all-in"]
    return Answer(
        applies=applies,
        excluded=excluded,
        ceilings=ceilings,
        additional=float(sum(x.rate for x in rated if x.basis != "all-in")),
        ceiling=float(max(caps)) if caps else None,
        unrated=tuple(x.rate_id for x in applies if x.rate is None),
    )


@dataclass(frozen=True, slots=True)
class Period:
    """The combined answer over [start, until)."""

    start: pd.Timestamp
    until: pd.Timestamp
    answer: Answer


def history(
    layers: list[Layer],
    rules: list[Rule],
    keys: list[tuple],
    since: pd.Timestamp,
    end: pd.Timestamp,
    memo: dict | None = None,
) -> dict[tuple, list[Period]]:
    """For each key in `keys` (the arguments of combine after the rules: product scope or scopes,
    condition, and product-list exemptions), the combined answer as a step function from `since`
    to `end`: one period per distinct answer. Each is evaluated only on the days something that can
    change it changes: a layer on these goods (or on all goods) starts or ends, or a rule on one of their
    layers starts or ends.

    `memo` may be shared by calls for several partners: the same rows in force under the same rules give
    the same answer, whoever the partner (a row id names one row, and so its layer; combine reads neither
    the day nor the layer's dates)."""
    # The rules holding over each span between two rule dates, indexed once.
    edges = sorted({d for r in rules for d in (r.valid_from, r.valid_until)})
    spans: dict[int, tuple[RuleIndex, tuple[str, ...]]] = {}

    def span_of(day: pd.Timestamp) -> tuple[RuleIndex, tuple[str, ...]]:
        i = bisect.bisect_right(edges, day)
        if i not in spans:
            holding = [r for r in rules if r.holds(day)]
            spans[i] = (RuleIndex.of(holding), tuple(r.rule_id for r in holding))
        return spans[i]

    out: dict[tuple[str, str], list[Period]] = {}
    memo = {} if memo is None else memo  # the same layers and rules give the same answer, whatever the day
    for key in keys:
        goods = (key[0],) if isinstance(key[0], str) else key[0]
        mine = [x for x in layers if x.scope in goods or x.scope == "all-goods"]
        authorities = {x.authority for x in mine}
        points = {since}
        for x in mine:
            points.update(d for d in (x.start, x.until) if since < d < end)
        scopes = ("", *goods, "all-goods")
        for r in rules:  # only a rule that can act on these goods' layers can change their answer
            if (
                r.target[0] in authorities
                and r.target[2] in scopes
                and (r.kind != "excludes" or (r.by[0] in authorities and r.by[2] in scopes))
            ):
                points.update(d for d in (r.valid_from, r.valid_until) if since < d < end)
        days = sorted(points)
        periods: list[Period] = []
        for day, nxt in zip(days, [*days[1:], end], strict=True):
            now = [x for x in mine if x.start <= day < x.until]
            index, holding = span_of(day)
            args = key
            if len(key) > 2 and key[2]:  # an exemption from a layer not in force that day changes nothing
                args = (
                    *key[:2],
                    tuple(e for e in key[2] if any(x.authority == e[0] and e[1] in ("", x.measure) for x in now)),
                )
            k = (tuple(x.rate_id for x in now), holding, args)
            if k not in memo:
                memo[k] = combine(now, index, *args)
            answer = memo[k]
            if periods and (periods[-1].answer is answer or periods[-1].answer.key() == answer.key()):
                periods[-1] = Period(periods[-1].start, nxt, periods[-1].answer)
            else:
                periods.append(Period(day, nxt, answer))
        out[key] = periods
    return out


def unchanged_since(periods: list[Period], i: int, first: int = 0, key=None) -> int:
    """The index of the first period, going back from period i but not before `first`, from which the
    goods paid the same: the same rate on the same basis (the instrument behind it, or the reasons other
    layers do not apply, may have changed since). `key` compares something else of the answers."""

    def paid(a: Answer) -> tuple:
        return (a.value, a.ceiling is not None, bool(a.applies))

    key = key or paid
    while i > first and key(periods[i - 1].answer) == key(periods[i].answer):
        i -= 1
    return i


def same_layers_since(periods: list[Period], i: int, first: int) -> int:
    """unchanged_since for the layers that set the rate (10% from the Section 122 surcharge, then 10%
    from Section 301, is one rate but two instruments)."""
    return unchanged_since(periods, i, first, key=lambda a: tuple(x.rate_id for x in a.applies))
