"""Unit tests per pipeline stage on the real package: load, derive, render, export."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from conftest import REPO, set_cell
from openpyxl import load_workbook

from tariff_ledger.derive import derive, in_force
from tariff_ledger.export import export
from tariff_ledger.load import load
from tariff_ledger.package import RESOURCES
from tariff_ledger.render import render
from tariff_ledger.validate import validated_package


@pytest.fixture(scope="module")
def views():
    pkg = validated_package(REPO)
    return derive(pkg, load(pkg))


def test_load_types_follow_the_schema(views):
    partners, rates = views.tables["partners"], views.tables["tariff_rates"]
    assert "NAM" in set(partners["partner_id"])  # "NA"-like codes stay text
    assert partners["member_of"].dtype == object or str(partners["member_of"].dtype) == "str"
    assert rates["rate_pct"].dtype == "float64"
    assert str(rates["effective_from"].dtype).startswith("datetime64")
    assert (partners["member_of"].isin(["", "EUU"])).all()


def day(s):
    return pd.Timestamp(s)


def test_partner_row_overrides_wld_and_members_inherit_the_eu(views):
    kor = pd.DataFrame(in_force(views, "KOR", day("2025-06-01")))
    recip = kor[kor["authority"] == "ieepa-reciprocal"]
    assert len(recip) == 1 and recip.iloc[0]["rate_pct"] == 10
    deu = pd.DataFrame(in_force(views, "DEU", day("2025-10-01")))
    eu_recip = deu[(deu["authority"] == "ieepa-reciprocal") & (deu["product_scope"] == "all-goods")]
    assert list(eu_recip["via"]) == ["EUU"] and eu_recip.iloc[0]["rate_basis"] == "all-in"


def test_retroactive_correction_applies_from_its_date(views):
    # Korea's all-in 15% was published on 4 Dec 2025, retroactive to 14 Nov 2025.
    kor = pd.DataFrame(in_force(views, "KOR", day("2025-12-01")))
    recip = kor[(kor["authority"] == "ieepa-reciprocal") & (kor["product_scope"] == "all-goods")]
    assert list(zip(recip["rate_pct"], recip["rate_basis"], strict=False)) == [(15.0, "all-in")]
    jpn = pd.DataFrame(in_force(views, "JPN", day("2025-08-20")))
    recip = jpn[(jpn["authority"] == "ieepa-reciprocal") & (jpn["product_scope"] == "all-goods")]
    assert list(recip["rate_basis"]) == ["all-in"]


def test_threatened_rates_never_apply(views):
    for s in views.segments:
        assert views.rate_records[s.rate_id]["stage"] == "enacted"


def test_ieepa_layers_end_with_the_supreme_court_ruling(views):
    kor = pd.DataFrame(in_force(views, "KOR", day("2026-03-01")))
    assert not kor["authority"].isin(["ieepa-reciprocal", "ieepa-fentanyl"]).any()
    assert "section-122" in set(kor["authority"])


def test_render_escapes_tricky_valid_text(tmp_path, pkg):
    set_cell(
        pkg,
        "events",
        0,
        title="Tariffs: a < b & c \"quoted\" 'single' 😀 שלום",
        summary="Line one\nline two *not bold*",
    )
    p = validated_package(pkg)
    v = derive(p, load(p))
    render(v, tmp_path)
    first = v.tables["events"].iloc[0]
    page = (tmp_path / "timeline" / f"{first['date']:%Y-%m}" / "index.md").read_text(encoding="utf-8")
    assert "a &lt; b &amp; c &#34;quoted&#34; &#39;single&#39; 😀 שלום" in page
    assert "Line one<br>line two *not bold*" in page


def test_export_formats_open_and_agree(tmp_path):
    pkg = validated_package(REPO)
    manifest = export(pkg, tmp_path)
    names = {f["path"] for f in manifest["files"]}
    for r in RESOURCES:
        assert {f"{r}.csv", f"{r}.json"} <= names
        csv_rows = pd.read_csv(tmp_path / f"{r}.csv", dtype=str, keep_default_na=False)
        assert len(csv_rows) == len(json.loads((tmp_path / f"{r}.json").read_text()))
    con = sqlite3.connect(tmp_path / "tariff-ledger.sqlite")
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    fks = con.execute("SELECT * FROM pragma_foreign_key_list('tariff_rates')").fetchall()
    assert {(fk[2], fk[3]) for fk in fks} >= {("partners", "partner_id"), ("sources", "source_id")}
    pk = [c[1] for c in con.execute("PRAGMA table_info(events)") if c[5]]
    assert pk == ["event_id"]
    assert con.execute("SELECT typeof(rate_pct) FROM tariff_rates WHERE rate_pct IS NOT NULL LIMIT 1").fetchone() == (
        "real",
    )
    wb = load_workbook(tmp_path / "tariff-ledger.xlsx")
    assert wb.sheetnames == ["columns", *RESOURCES]
    assert wb["events"].max_row == len(pd.read_csv(tmp_path / "events.csv")) + 1
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t", "\r")))


def test_coverage_command_reports_the_targets(capsys):
    from tariff_ledger.cli import main

    assert main(["--root", str(REPO), "coverage", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    events = pd.read_csv(REPO / "datasets" / "events.csv", dtype=str, keep_default_na=False)
    assert report["rows"]["events"] == len(events)
    assert report["events_per_partner"]["KOR"] == int((events["partner_id"] == "KOR").sum())
    by_what = {t["what"]: t for t in report["targets"]}
    assert by_what["events in all"]["have"] == len(events) and by_what["events in all"]["target"] == 250
    assert by_what["events for KOR"]["met"] == (report["events_per_partner"]["KOR"] >= 60)
    assert 0 <= report["official_share"]["tariff_rates"] <= 1
    assert set(report["lacking"]) == {"2 April 2025 rate", "July 2025 letter", "EO 14326 rate (7 Aug 2025)"}
    assert "NAM" not in report["lacking"]["2 April 2025 rate"]  # Namibia had a 2 April rate (21%)
    assert main(["--root", str(REPO), "coverage"]) == 0
    assert "events for KOR" in capsys.readouterr().out


def test_published_csv_cells_never_start_a_formula(tmp_path):
    export(validated_package(REPO), tmp_path)
    for r in RESOURCES:
        frame = pd.read_csv(tmp_path / f"{r}.csv", dtype=str, keep_default_na=False)
        for column in frame.columns:
            assert not frame[column].str.startswith(("=", "+", "-", "@", "\t", "\r")).any(), (r, column)
