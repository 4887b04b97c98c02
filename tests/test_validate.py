"""The validator on the real package and on bad inputs: each error names file, line, column and fix,
and `tariff-ledger validate` exits 1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO, add_row, col, read_rows, set_cell, write_rows

from tariff_ledger.cli import main
from tariff_ledger.validate import errors, validate


def only_errors(root):
    return [p.text() for p in errors(validate(root))]


def test_real_package_is_valid():
    assert only_errors(REPO) == []


def test_real_frictionless_cli_accepts_the_package():
    frictionless = [sys.executable, "-m", "frictionless", "validate", "datapackage.json"]
    run = subprocess.run(frictionless, cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]


def test_cli_exit_codes_and_github_format(pkg, capsys):
    assert main(["--root", str(pkg), "validate"]) == 0
    line = set_cell(pkg, "events", 0, date="2025-13-45")
    assert main(["--root", str(pkg), "validate"]) == 1
    out = capsys.readouterr().out
    assert f'datasets/events.csv:{line}:2: date "2025-13-45" is not a valid date; write YYYY-MM-DD' in out
    assert main(["--root", str(pkg), "validate", "--format", "github"]) == 1
    assert f"::error file=datasets/events.csv,line={line},col=2::date" in capsys.readouterr().out


def test_bad_date(pkg):
    line = set_cell(pkg, "events", 3, date="2025-02-30")
    assert only_errors(pkg) == [
        f'datasets/events.csv:{line}:2: date "2025-02-30" is not a valid date; write YYYY-MM-DD'
    ]


def test_percent_sign_in_a_number(pkg):
    line = set_cell(pkg, "tariff_rates", 0, rate_pct="15%")
    assert only_errors(pkg) == [
        f'datasets/tariff_rates.csv:{line}:{col("tariff_rates", "rate_pct")}: rate_pct "15%" is not a number; write a '
        "plain number such as 15 (no %, thousands separators or units)"
    ]


def test_unknown_partner(pkg):
    line = set_cell(pkg, "events", 0, partner_id="XYZ")
    assert only_errors(pkg) == [
        f'datasets/events.csv:{line}:4: partner_id "XYZ" is not in datasets/partners.csv; '
        "add it there first or use an existing partner_id"
    ]


def test_duplicate_id(pkg):
    first = read_rows(pkg, "agreements")[0]["agreement_id"]
    line = add_row(pkg, "agreements")
    assert only_errors(pkg) == [
        f'datasets/agreements.csv:{line}:1: agreement_id "{first}" is used twice (first used '
        "on line 2); give each row its own id"
    ]


def test_file_that_is_not_utf8(pkg):
    path = pkg / "datasets" / "partners.csv"
    data = path.read_bytes().replace("Côte".encode(), "Côte".encode("latin-1"), 1)
    assert data != path.read_bytes()
    path.write_bytes(data)
    [msg] = only_errors(pkg)
    assert msg.startswith("datasets/partners.csv:") and "is not UTF-8" in msg and msg.endswith("save the file as UTF-8")
    line = data[: data.index(b"C\xf4te")].count(b"\n") + 1
    assert msg.startswith(f"datasets/partners.csv:{line}:")


def test_unterminated_quote(pkg):
    path = pkg / "datasets" / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(",", ',"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    [msg] = only_errors(pkg)
    assert msg.startswith("datasets/events.csv:6:1: malformed CSV") and "never closed; close it" in msg


def test_missing_column(pkg):
    rows = read_rows(pkg, "pledges")
    for r in rows:
        del r["binding"]
    write_rows(pkg, "pledges", rows)
    [msg] = only_errors(pkg)
    assert msg.startswith("datasets/pledges.csv:1:") and 'column "binding" is missing; add it' in msg


def test_empty_file(pkg):
    (pkg / "datasets" / "agreements.csv").write_text("", encoding="utf-8")
    [msg] = only_errors(pkg)
    assert msg.startswith("datasets/agreements.csv:1:1: file is empty; it needs the header row: agreement_id,")


def test_html_in_a_text_cell(pkg):
    line = set_cell(pkg, "events", 2, summary="Talks <script>alert(1)</script> ended")
    assert only_errors(pkg) == [
        f'datasets/events.csv:{line}:{col("events", "summary")}: summary contains HTML ("<s"); write plain text '
        "(use the character itself, not an entity)"
    ]


def test_formula_leading_cell(pkg):
    line = set_cell(pkg, "events", 2, title='=HYPERLINK("https://example.com")')
    [msg] = only_errors(pkg)
    assert msg == (
        f"datasets/events.csv:{line}:6: title starts with '=', which spreadsheets run as a formula; "
        "rephrase so it starts with a letter or digit"
    )


def test_javascript_url(pkg):
    line = set_cell(pkg, "sources", 0, url="javascript:alert(1)")
    [msg] = only_errors(pkg)
    assert msg == (
        f'datasets/sources.csv:{line}:{col("sources", "url")}: url "javascript:alert(1)" is not an https URL; '
        "write the full https:// address"
    )


def test_http_url_is_rejected(pkg):
    line = set_cell(pkg, "sources", 0, url="http://example.com/page")
    assert only_errors(pkg) == [
        f'datasets/sources.csv:{line}:{col("sources", "url")}: url "http://example.com/page" is not an https URL; '
        "write the full https:// address"
    ]


def test_markdown_javascript_link_in_text(pkg):
    line = set_cell(pkg, "events", 1, summary="See [the deal](javascript:alert(1)) here")
    assert only_errors(pkg) == [
        f"datasets/events.csv:{line}:{col('events', 'summary')}: summary contains a script or data URL; remove it"
    ]


@pytest.fixture
def enacted_row(pkg):
    rows = read_rows(pkg, "tariff_rates")
    i = next(i for i, r in enumerate(rows) if r["stage"] == "enacted" and r["ended_on"] and r["partner_id"] != "WLD")
    return i, rows[i]


def test_period_that_ends_before_it_starts(pkg, enacted_row):
    i, _r = enacted_row
    line = set_cell(pkg, "tariff_rates", i, ended_on="2025-01-02", effective_from="2025-03-01")
    assert only_errors(pkg) == [
        f"datasets/tariff_rates.csv:{line}:{col('tariff_rates', 'ended_on')}: ended_on 2025-01-02 is not after "
        "effective_from 2025-03-01; ended_on is the first day the rate no longer applied"
    ]


def test_enacted_row_needs_effective_from(pkg, enacted_row):
    i, _ = enacted_row
    line = set_cell(pkg, "tariff_rates", i, effective_from="")
    assert [
        m
        for m in only_errors(pkg)
        if f":{col('tariff_rates', 'effective_from')}: an enacted rate needs effective_from" in m
    ] == [
        f"datasets/tariff_rates.csv:{line}:{col('tariff_rates', 'effective_from')}: "
        "an enacted rate needs effective_from: the first day it applied "
        "(or change stage to threatened/announced)"
    ]


def test_threatened_row_has_no_effective_from(pkg):
    rows = read_rows(pkg, "tariff_rates")
    i = next(i for i, r in enumerate(rows) if r["stage"] == "threatened")
    line = set_cell(pkg, "tariff_rates", i, effective_from="2025-08-01")
    assert only_errors(pkg) == [
        f"datasets/tariff_rates.csv:{line}:{col('tariff_rates', 'effective_from')}: "
        "a threatened rate has no effective_from; "
        "clear it, or set stage to announced/enacted if an instrument fixed the date"
    ]


def test_overlapping_enacted_layers(pkg, enacted_row):
    i, r = enacted_row
    line = add_row(pkg, "tariff_rates", **{**r, "rate_id": "overlap-test"})
    [msg] = only_errors(pkg)
    assert msg.startswith(
        f"datasets/tariff_rates.csv:{line}:{col('tariff_rates', 'effective_from')}: "
        f"overlaps {r['rate_id']} (line {i + 2}) for the same "
        "partner, authority, measure and product scope"
    )


def test_event_before_2025(pkg):
    line = set_cell(pkg, "events", 0, date="2024-12-31")
    assert only_errors(pkg) == [
        f"datasets/events.csv:{line}:2: date 2024-12-31 is before 2025-01-01; the timeline starts in 2025"
    ]


def test_fact_after_data_as_of(pkg):
    line = set_cell(pkg, "agreements", 0, announced_on="2030-01-01")
    [msg] = only_errors(pkg)
    assert msg.startswith(f"datasets/agreements.csv:{line}:5: announced_on 2030-01-01 is after data_as_of")


def test_scheduled_dates_may_be_after_data_as_of(pkg):
    rows = read_rows(pkg, "pledges")
    rows[0]["due_by"] = "2030-12-31"
    write_rows(pkg, "pledges", rows)
    assert only_errors(pkg) == []


def test_every_row_cites_a_source(pkg):
    line = set_cell(pkg, "pledges", 0, source_id="")
    assert only_errors(pkg) == [
        f"datasets/pledges.csv:{line}:{col('pledges', 'source_id')}: "
        "source_id is required; fill it in (The source this "
        "row relies on (sources.csv).)"
    ]


def test_sourcing_rule_holds_even_if_the_schema_stops_requiring_it(pkg):
    schema_path = pkg / "schemas" / "events.json"
    schema = json.loads(schema_path.read_text())
    next(f for f in schema["fields"] if f["name"] == "source_id")["constraints"].pop("required")
    schema_path.write_text(json.dumps(schema))
    line = set_cell(pkg, "events", 0, source_id="")
    assert only_errors(pkg) == [
        f"datasets/events.csv:{line}:{col('events', 'source_id')}: every row must cite a source; add its source_id "
        "(and the source to datasets/sources.csv)"
    ]


def test_uncited_source_is_a_warning(pkg):
    line = add_row(pkg, "sources", source_id="never-cited-test")
    problems = validate(pkg)
    assert errors(problems) == []
    assert (
        f'datasets/sources.csv:{line}:1: warning: source "never-cited-test" is not cited by any row; cite it or '
        "remove it" in [p.text() for p in problems]
    )


def test_a_row_resting_on_low_grade_outlets_alone_must_say_why_it_stands(pkg):
    sources = read_rows(pkg, "sources")
    low = next(s["source_id"] for s in sources if s["grade"] == "low-grade")
    good = next(s["source_id"] for s in sources if not s["grade"] and s["kind"] == "proclamation")
    line = set_cell(pkg, "events", 0, source_id=low, second_source_id="", notes="")
    assert only_errors(pkg) == [
        f"datasets/events.csv:{line}:{col('events', 'notes')}: the row rests only on low-grade outlets ({low}); "
        "cite a better source in source_id, or say in notes why it stands (write 'low-grade' and the reason)"
    ]
    set_cell(pkg, "events", 0, notes="Only source found: a low-grade outlet; the date matches the order's text.")
    assert only_errors(pkg) == []
    # A better source beside it is enough, and an unknown grade is refused by the schema.
    set_cell(pkg, "events", 0, second_source_id=good, notes="")
    assert only_errors(pkg) == []
    line = set_cell(pkg, "sources", 0, grade="dubious")
    assert [e for e in only_errors(pkg) if e.startswith(f"datasets/sources.csv:{line}:{col('sources', 'grade')}:")]


def test_namibia_is_not_missing(pkg):
    assert any(r["partner_id"] == "NAM" for r in read_rows(pkg, "partners"))
    assert only_errors(pkg) == []
