"""The combination rules on real cases: the combined answer (what applies, what does not and why, and the
result) for a partner, a kind of good and a day, computed by the derive stage from the real data."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from conftest import REPO, add_row, col, read_rows

from tariff_ledger.derive import answer_on, derive
from tariff_ledger.load import load
from tariff_ledger.validate import errors, validate, validated_package


@pytest.fixture(scope="module")
def views():
    pkg = validated_package(REPO)
    return derive(pkg, load(pkg))


def answer(views, pid, scope, day, condition=""):
    period = answer_on(views, pid, scope, pd.Timestamp(day), condition)
    assert period is not None, (pid, scope, day)
    return period


def rule_of(views, rule_id):
    return views.rules[rule_id]


def test_korean_cars_on_the_data_date(views):
    period = answer(views, "KOR", "autos", views.as_of)
    a = period.answer
    [layer] = a.applies
    row = views.rate_records[layer.rate_id]
    # Korea's own Section 232 deal rate: a 15% ceiling that includes the normal duty.
    assert (row["partner_id"], row["authority"], row["rate_pct"], row["rate_basis"]) == (
        "KOR",
        "section-232",
        15,
        "all-in",
    )
    assert a.ceiling == 15 and a.additional == 0 and a.value == 15
    # The 2026 Section 301 forced-labor duty on Korea does not apply to goods under a Section 232 tariff.
    excluded = {views.rate_records[x.rate_id]["authority"]: rule for x, rule in a.excluded}
    assert "section-301" in excluded
    assert rule_of(views, excluded["section-301"])["by_authority"] == "section-232"
    # ... and the ceiling is a rule of its own, from the instrument that set it.
    assert all(rule for _, rule in a.ceilings)
    # The day it took effect and the day it reaches back to.
    assert row["effective_from"] == pd.Timestamp("2025-12-04") and row["retroactive_to"] == pd.Timestamp("2025-11-01")


def test_the_forced_labor_tariff_spares_only_the_section_232_goods_its_note_lists(views):
    # U.S. note 52(f) lists headings (metals, vehicles and parts, wood, semiconductors; patented
    # pharmaceuticals only from 31 July 2026), not every Section 232 good: drones still pay it.
    def authorities(pid, scope, day):
        a = answer(views, pid, scope, day).answer
        return {views.rate_records[x.rate_id]["authority"] for x in a.applies}

    assert authorities("VNM", "steel", "2026-10-01") == {"section-232"}
    assert authorities("VNM", "drones", "2026-10-01") == {"section-232", "section-301"}
    assert authorities("KOR", "pharmaceuticals", "2026-07-28") == {"section-301"}  # before any 232 duty
    assert authorities("KOR", "pharmaceuticals", "2026-08-05") == {"section-232"}
    # The Brazil action's note lists the same headings: Brazilian drones pay 25% + 25% + 12.5%.
    brazil = answer(views, "BRA", "drones", "2026-10-01").answer
    assert brazil.value == 62.5 and not brazil.excluded


def test_a_drone_code_on_two_section_232_lists_pays_the_rate_its_code_sets(views):
    # 8806.21.00 is on the 25 percent list and, with thermal imaging only, on the 100 percent one: the
    # code does not tell, so the 100 percent list is shown beside the answer, not added to it.
    from tariff_ledger.derive import list_holds, product_answers, product_key, product_lists

    pl = product_lists(views.tables)
    day = pd.Timestamp("2026-10-01")
    on = [pl.lists[lid] for lid in pl.signatures[pl.code_signature["88062100"]] if list_holds(pl.lists[lid], day)]
    assert {r["product_scope"] for r in on} >= {"drones", "drones-sensitive"}
    scopes = tuple(sorted({r["product_scope"] for r in on if r["effect"] == "covers" and not r["condition"]}))
    assert scopes == ("drones",)
    periods = product_answers(views, pl, "VNM")[(product_key(scopes, ()), "")]
    assert next(p.answer.value for p in periods if p.start <= day < p.until) == 37.5  # 25% + 12.5%


def test_specialty_medicines_of_a_listed_jurisdiction_are_shown_exempt_beside_the_answer(views):
    # U.S. note 40(h)(iii): orphan drugs and other specialty medicines of the jurisdictions Commerce
    # listed (from 29 September 2026) enter under 9903.04.66 at +0%. The code does not say whether a
    # medicine is one, so the answer keeps the 15% and names the exemption beside it.
    from tariff_ledger.derive import exempt_beside

    def spared(pid, day):
        a = answer(views, pid, "pharmaceuticals", day).answer
        assert "section-232" in {x.authority for x in a.applies}
        rules = exempt_beside(views, pid, "pharmaceuticals", pd.Timestamp(day), a.applies)
        return {rule_of(views, r)["condition"] for r in rules}

    assert {"specialty-pharmaceutical", "generic", "non-commercial-use"} <= spared("EUU", "2026-10-01")
    assert {"specialty-pharmaceutical", "generic"} <= spared("FRA", "2026-10-01")  # an EU member
    assert "specialty-pharmaceutical" not in spared("EUU", "2026-09-28")  # before the list took effect
    assert "specialty-pharmaceutical" not in spared("CHN", "2026-10-01")  # not a listed jurisdiction
    # Nothing is listed beside goods that pay no layer the rules name.
    steel = answer(views, "EUU", "steel", "2026-10-01").answer
    assert "specialty-pharmaceutical" not in {
        rule_of(views, r)["condition"]
        for r in exempt_beside(views, "EUU", "steel", pd.Timestamp("2026-10-01"), steel.applies)
    }


def test_korean_wood_furniture_pays_the_deal_ceiling_not_the_global_rate(views):
    # HTSUS heading 9903.76.23 (the Korea notice of 4 Dec 2025): Korean upholstered furniture and
    # kitchen cabinets pay 15% including the normal duty; softwood lumber, outside that heading, the
    # global 10%.
    for scope in ("upholstered-furniture", "kitchen-cabinets"):
        a = answer(views, "KOR", scope, "2026-10-08").answer
        assert a.ceiling == 15 and a.additional == 0, (scope, a)
        assert {views.rate_records[x.rate_id]["partner_id"] for x in a.applies} == {"KOR"}
    assert answer(views, "VNM", "upholstered-furniture", "2026-10-08").answer.additional == 25
    lumber = answer(views, "KOR", "lumber", "2026-10-08").answer
    assert lumber.additional == 10 and lumber.ceiling is None


def test_korean_cars_under_section_122_did_not_pay_the_surcharge(views):
    a = answer(views, "KOR", "autos", "2026-03-01").answer
    assert a.value == 15
    excluded = {views.rate_records[x.rate_id]["authority"]: rule for x, rule in a.excluded}
    assert rule_of(views, excluded["section-122"])["by_authority"] == "section-232"


def test_swiss_steel_on_1_october_2025(views):
    a = answer(views, "CHE", "steel", "2025-10-01").answer
    assert [views.rate_records[x.rate_id]["authority"] for x in a.applies] == ["section-232"]
    assert a.additional == 50 and a.ceiling is None
    [(recip, rule)] = [(x, r) for x, r in a.excluded if x.authority == "ieepa-reciprocal"]
    assert views.rate_records[recip.rate_id]["rate_pct"] == 39  # the 39% reciprocal rate does not apply
    assert rule_of(views, rule)["by_authority"] == "section-232"
    # Other Swiss goods did pay the 39% that day.
    assert answer(views, "CHE", "all-goods", "2025-10-01").answer.additional == 39


def test_usmca_qualifying_canadian_good_on_15_march_2025(views):
    general = answer(views, "CAN", "all-goods", "2025-03-15").answer
    assert general.additional == 25  # the fentanyl/border tariff
    usmca = answer(views, "CAN", "all-goods", "2025-03-15", "usmca-qualifying").answer
    assert usmca.applies == () and usmca.value is None
    [(layer, rule)] = usmca.excluded
    assert layer.authority == "ieepa-fentanyl"
    assert rule_of(views, rule)["kind"] == "exempts" and rule_of(views, rule)["condition"] == "usmca-qualifying"


def test_japan_all_in_15_and_its_retroactive_correction(views):
    # As corrected on 16 September 2025, back to 7 August: a 15% ceiling, not 15% on top of the normal duty.
    period = answer(views, "JPN", "all-goods", "2025-08-20")
    [layer] = period.answer.applies
    row = views.rate_records[layer.rate_id]
    assert row["rate_basis"] == "all-in" and period.answer.ceiling == 15 and period.answer.additional == 0
    assert row["effective_from"] == pd.Timestamp("2025-09-16")
    assert layer.start == pd.Timestamp("2025-08-07") == row["retroactive_to"]
    # The stacked 15% that was first collected is still in the record, replaced by the correction.
    rates = views.tables["tariff_rates"]
    stacked = rates[(rates["partner_id"] == "JPN") & (rates["ended_on"] == pd.Timestamp("2025-09-16"))]
    assert list(stacked["rate_basis"]) == ["additional"]


def test_eu_member_inherits_the_eu_ceiling(views):
    a = answer(views, "DEU", "all-goods", "2025-10-01").answer
    [layer] = a.applies
    assert layer.via == "EUU" and a.ceiling == 15
    [(_, rule)] = a.ceilings
    assert rule_of(views, rule)["partner_id"] == "EUU" and rule_of(views, rule)["kind"] == "ceiling"


def test_answers_change_only_when_layers_or_rules_do(views):
    periods = views.answers[("KOR", "autos", "")]
    assert all(a.until == b.start for a, b in itertools.pairwise(periods))
    assert all(a.answer.key() != b.answer.key() for a, b in itertools.pairwise(periods))


def test_a_rule_citing_an_unknown_source_is_rejected(pkg):
    line = add_row(pkg, "combination_rules", rule_id="corpus-unknown-source", source_id="no-such-source")
    assert [p.text() for p in errors(validate(pkg))] == [
        f'datasets/combination_rules.csv:{line}:{col("combination_rules", "source_id")}: source_id "no-such-source" '
        "is not in datasets/sources.csv; add it there first or use an existing source_id"
    ]


def test_a_rule_with_its_dates_reversed_is_rejected(pkg):
    first = read_rows(pkg, "combination_rules")[0]
    line = add_row(
        pkg, "combination_rules", rule_id="corpus-reversed", valid_from="2026-01-02", valid_until="2026-01-01"
    )
    assert [p.text() for p in errors(validate(pkg))] == [
        f"datasets/combination_rules.csv:{line}:{col('combination_rules', 'valid_until')}: valid_until 2026-01-01 is "
        "not after valid_from 2026-01-02; valid_until is the first day the rule no longer holds"
    ]
    assert first["valid_from"]  # the copied row is a real rule


def test_an_answer_splits_into_what_each_authority_adds(views):
    """Brazil's 50% on 1 October 2025 is 10% reciprocal and 40% under another IEEPA order: a ranking
    under one authority uses that authority's part, with the same arithmetic as the whole."""
    a = answer(views, "BRA", "all-goods", "2025-10-01").answer
    parts = {k: a.of_authority(k) for k in {x.authority for x in a.applies}}
    assert {k: p.value for k, p in parts.items()} == {"ieepa-reciprocal": 10, "ieepa-other": 40}
    assert sum(p.value for p in parts.values()) == a.value == 50
    assert a.of_authority("section-232") is None
