"""Following the record: the changelog from real git tags, the Atom feeds and iCalendar files read back by
real parsers, a permalink and a correction path for every row, the issue form, and Parquet read typed."""

from __future__ import annotations

import csv
import html
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import icalendar
import pandas as pd
import pytest
import yaml
from conftest import REPO, read_rows, set_cell
from test_publishing import TOOLS, git

from tariff_ledger.pipeline import generate

# -- releases -------------------------------------------------------------------------------------------


def test_changelog_page_lists_two_tagged_releases_newest_first(pkg):
    (pkg / "CHANGELOG.md").write_text(
        "# Changelog\n\n## 0.9.1 (data as of 2026-09-30)\n\nA correction.\n\n"
        "## 0.9.0 (data as of 2026-09-30)\n\nFirst.\n",
        encoding="utf-8",
    )
    git(pkg, "init", "-q")
    git(pkg, "add", "-A")
    git(pkg, "commit", "-qm", "first release")
    git(pkg, "tag", "-a", "v0.9.0", "-m", "0.9.0")
    events = read_rows(pkg, "events")
    i = next(i for i, r in enumerate(events) if r["partner_id"] == "KOR")
    kor_event, old_title = events[i]["event_id"], events[i]["title"]
    set_cell(pkg, "events", i, title="A corrected title")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = "0.9.1"
    (pkg / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")
    git(pkg, "commit", "-qam", "second release")
    git(pkg, "tag", "-a", "v0.9.1", "-m", "0.9.1")

    generate(pkg)
    page = (pkg / "site_src" / "changelog" / "index.md").read_text(encoding="utf-8")
    assert page.index("0.9.1") < page.index("0.9.0")  # newest first
    assert "A correction." in page and "First." in page  # the CHANGELOG.md entries
    # The corrected cell, before and after.
    assert kor_event in page and old_title in html.unescape(page) and "A corrected title" in page
    assert "could not" not in page
    kor = (pkg / "site_src" / "partners" / "kor" / "index.md").read_text(encoding="utf-8")
    assert "last changed in" in kor and "release 0.9.1" in kor
    feed = feedparser.parse((pkg / "site_src" / "feed.xml").read_bytes())
    assert not feed.bozo and any("0.9.1" in e.title for e in feed.entries)
    # An edit after the latest tag: the partner page says its rows changed since the last release.
    set_cell(pkg, "events", i, title="Edited after the release")
    generate(pkg)
    kor = (pkg / "site_src" / "partners" / "kor" / "index.md").read_text(encoding="utf-8")
    assert "since the last release</a>" in kor
    assert "release unreleased" not in kor


def test_a_partner_page_names_the_newest_release_that_changed_it_when_releases_share_a_day():
    # Three releases tagged on one day (as 0.2.0-0.4.0 were): the newest that changed a partner's rows is
    # the one its page names, not the first of the day.
    from tariff_ledger.changelog import Release, partner_changes
    from tariff_ledger.diff import ResourceDiff

    found = [  # as releases() returns them: newest first
        Release("0.4.0", "v0.4.0", "2026-12-01", diffs=[ResourceDiff("events", added=["kor-new"])]),
        Release("0.3.0", "v0.3.0", "2026-12-01", diffs=[ResourceDiff("events", added=["chn-new"])]),
        Release("0.2.0", "v0.2.0", "2026-12-01", diffs=[ResourceDiff("events", added=["kor-old", "chn-old"])]),
    ]
    owner = {"kor-new": "KOR", "kor-old": "KOR", "chn-new": "CHN", "chn-old": "CHN"}
    assert partner_changes(None, found, {"events": owner}) == {"KOR": "0.4.0", "CHN": "0.3.0"}


def test_changelog_says_what_it_could_not_compare_without_history(built_site):
    page = (built_site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "has no git history, so the releases could not be compared" in page
    assert "0.2.0" in page  # the entries of CHANGELOG.md are still shown


# -- feeds and calendars --------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["", "partners/kor/"])
def test_atom_feeds_parse_and_every_page_declares_one(built_site, where):
    feed = feedparser.parse((built_site / where / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10" and len(feed.entries) >= 5
    for e in feed.entries:
        assert e.id and e.title and e.link.startswith("https://") and e.updated_parsed
    for page in ("index.html", "partners/kor/index.html", "timeline/index.html", "data/index.html"):
        head = (built_site / page).read_text(encoding="utf-8").split("</head>")[0]
        assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]* href="[^"]*feed\.xml"', head)
        if page.startswith("partners/"):  # and the partner's own feed
            assert re.search(r'<link rel="alternate feed" type="application/atom\+xml"[^>]* href="feed\.xml"', head)


@pytest.mark.parametrize("where", ["", "partners/kor/", "partners/can/"])
def test_calendars_parse_with_one_event_per_scheduled_step(built_site, where):
    cal = icalendar.Calendar.from_ical((built_site / where / "calendar.ics").read_bytes())
    events = list(cal.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    for e in events:
        assert e.get("SUMMARY") and e.get("DTSTART") and e.get("URL", "").startswith("https://")
    if where:
        assert events, f"nothing scheduled in {where}calendar.ics"
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'href="calendar.ics"' in home or 'href="./calendar.ics"' in home


# -- every row: a permalink, its id, a correction form --------------------------------------------------


class Rows(HTMLParser):
    """The rows of a page's tables: id, and the links in the detail under each."""

    def __init__(self):
        super().__init__()
        self.rows, self.current = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "tl-row" in (a.get("class") or "") and a.get("id"):
            self.current = {"id": a["id"], "links": {}}
            self.rows.append(self.current)
        elif tag == "a" and self.current is not None and a.get("href"):
            self.last_href = a["href"]

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.current is not None and data.strip() in ("Permalink", "Report a correction", "Edit this row"):
            self.current["links"][data.strip()] = self.last_href


def test_every_row_on_a_partner_page_has_a_permalink_and_a_correction_form(built_site):
    parser = Rows()
    parser.feed((built_site / "partners" / "kor" / "index.html").read_text(encoding="utf-8"))
    assert len(parser.rows) >= 10
    lines = {}
    for name in ("tariff_rates", "pledges", "agreements", "events", "sources"):
        with (REPO / "datasets" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            lines[name] = fh.read().splitlines()
    for row in parser.rows:
        links = row["links"]
        assert links.get("Permalink") == f"#{row['id']}", row
        form = urlsplit(links["Report a correction"])
        q = parse_qs(form.query)
        assert form.path.endswith("/issues/new") and q["template"] == ["correction.yml"]
        assert q["row"] == [row["id"]] and q["file"][0].startswith("datasets/") and q["shown"][0].strip()
        edit = urlsplit(links["Edit this row"])
        resource = Path(edit.path).stem
        assert q["file"] == [f"datasets/{resource}.csv"]
        n = int(edit.fragment.removeprefix("L"))
        assert lines[resource][n - 1].startswith(row["id"] + ","), (row["id"], n)


def test_issue_form_has_the_keys_github_requires():
    form = yaml.safe_load((REPO / ".github" / "ISSUE_TEMPLATE" / "correction.yml").read_text(encoding="utf-8"))
    assert {"name", "description", "body"} <= set(form)
    ids = []
    for item in form["body"]:
        assert item["type"] in ("markdown", "textarea", "input", "dropdown", "checkboxes")
        assert "attributes" in item
        if item["type"] != "markdown":
            assert item["attributes"]["label"] and re.fullmatch(r"[a-z_-]+", item["id"])
            ids.append(item["id"])
        else:
            assert item["attributes"]["value"]
    assert len(ids) == len(set(ids))
    # The site's links prefill these fields by id.
    assert {"file", "row", "field", "shown", "proposed", "source"} <= set(ids)


# -- Parquet --------------------------------------------------------------------------------------------

ARROW = {"string": "string", "date": "date32[day]", "number": "double", "integer": "int64", "boolean": "bool"}


def schema_fields(name):
    return json.loads((REPO / "schemas" / f"{name}.json").read_text(encoding="utf-8"))["fields"]


@pytest.mark.parametrize("name", ["tariff_rates", "pledges", "events", "product_codes", "combination_rules"])
def test_parquet_reads_back_typed_in_pandas(built_site, name):
    df = pd.read_parquet(built_site / "data" / f"{name}.parquet", dtype_backend="pyarrow")
    with (built_site / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(df) == len(rows)
    for f in schema_fields(name):
        assert str(df[f["name"]].dtype).removesuffix("[pyarrow]") == ARROW[f["type"]], f["name"]
        empty = sum(1 for r in rows if r[f["name"]] == "")
        assert int(df[f["name"]].isna().sum()) == empty, f["name"]  # missing is null, not ""


def test_parquet_reads_back_typed_in_duckdb(built_site):
    code = (
        "import duckdb, json\n"
        "rel = duckdb.sql(\"DESCRIBE SELECT * FROM 'tariff_rates.parquet'\")\n"
        "print(json.dumps({r[0]: r[1] for r in rel.fetchall()}))\n"
    )
    out = subprocess.run(
        [str(TOOLS / "python"), "-c", code], cwd=built_site / "data", capture_output=True, text=True, check=True
    )
    types = json.loads(out.stdout)
    duck = {"string": "VARCHAR", "date": "DATE", "number": "DOUBLE", "integer": "BIGINT"}
    assert types == {f["name"]: duck[f["type"]] for f in schema_fields("tariff_rates")}
