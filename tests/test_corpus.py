"""The bad-input corpus (tests/corpus/cases.py): every case is rejected with file, line, column and a
fix, and nothing is published; the safe variations are accepted."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import add_row, col, set_cell
from corpus.cases import ACCEPTED, CASES

from tariff_ledger.cli import main
from tariff_ledger.validate import errors, validate

LOCATED = re.compile(r"^[\w./-]+:\d+:\d+: \S.*; \S.*")  # file:line:col: what is wrong; the fix


def apply(root, op):
    kind = op[0]
    if kind == "cell":
        _, resource, column, value, *index = op
        set_cell(root, resource, index[0] if index else 0, **{column: value})
    elif kind == "append":
        add_row(root, op[1], **op[2])
    elif kind == "bytes":
        path = root / op[1]
        path.write_bytes(op[2](path.read_bytes()))
    elif kind == "json":
        path = root / op[1]
        path.write_text(json.dumps(op[2](json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    elif kind == "text":
        (root / op[1]).write_text(op[2], encoding="utf-8")


def last_line(root, op):
    path = root / op[1] if op[1].endswith(".csv") else root / "datasets" / f"{op[1]}.csv"
    return str(len(path.read_bytes().splitlines()))


def test_corpus_is_large_and_covers_every_category():
    counts = Counter(c[0] for c in CASES)
    assert len(CASES) >= 40
    assert set(counts) == {"csv", "encoding", "value", "reference", "rule", "hostile", "metadata"}


@pytest.mark.parametrize("category,name,op,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_bad_input_is_rejected_and_nothing_is_published(pkg, category, name, op, expected, capsys):
    apply(pkg, op)
    if ":COL:" in expected:  # the patched cell's column, as the schema orders the columns
        expected = expected.replace(":COL:", f":{col(op[1], op[2])}:")
    if m := re.search(r":COL\((\w+)\):", expected):  # another column of the patched resource
        expected = expected.replace(m.group(0), f":{col(op[1], m.group(1))}:")
    if "LAST" in expected:
        expected = expected.replace("LAST", last_line(pkg, op))
    if "LINE" in expected:  # where the offending value (quoted in the message) stands in the JSON file
        text = (pkg / op[1]).read_text(encoding="utf-8")
        i = text.index(json.dumps(re.search(r"'(.*?)'", expected).group(1)))
        expected = expected.replace("LINE", f"{text.count(chr(10), 0, i) + 1}:{i - text.rfind(chr(10), 0, i)}")
    found = [p.text() for p in errors(validate(pkg))]
    assert found, f"{name}: no error"
    assert any(m.startswith(expected) for m in found), f"{name}: expected {expected!r}, got {found[:5]}"
    for m in found:
        assert LOCATED.match(m), f"{name}: not located with a fix: {m!r}"
    if category == "encoding" and name != "utf-16":
        assert any("is not UTF-8" in m and m.endswith("save the file as UTF-8") for m in found)
    assert main(["--root", str(pkg), "build"]) == 1
    assert not (pkg / "site").exists() and not list(pkg.glob("site.tmp-*"))
    assert not (pkg / "site_src" / "partners").exists()  # not even the generated pages


@pytest.mark.parametrize("category,name,op", ACCEPTED, ids=[f"{c[0]}-{c[1]}" for c in ACCEPTED])
def test_safe_variations_are_accepted(pkg, category, name, op):
    apply(pkg, op)
    assert [p.text() for p in errors(validate(pkg))] == []


# Valid text that would break a careless feed or calendar writer: XML specials and a CDATA end marker in a
# title; iCalendar specials and what looks like a new event, on lines of its own, in a summary.
FEED_TITLE = "Talks ]]> & 'x' \"y\" > end <- a < b"
CALENDAR_SUMMARY = "a; b, c\\ d\nBEGIN:VEVENT\nSUMMARY:injected\nEND:VEVENT\nEND:VCALENDAR"


def test_valid_hostile_text_renders_literally_in_html_atom_and_ics(pkg):
    import html

    import feedparser
    import icalendar
    from conftest import read_rows

    from tariff_ledger.pipeline import build

    events = read_rows(pkg, "events")
    # The newest deadline or hearing: it is in its partner's feed (newest first) and in the calendars.
    i = max((i for i, e in enumerate(events) if e["kind"] in ("deadline", "hearing")), key=lambda i: events[i]["date"])
    e = events[i]
    set_cell(pkg, "events", i, title=FEED_TITLE, summary=CALENDAR_SUMMARY)
    assert [p.text() for p in errors(validate(pkg))] == []
    build(pkg)
    site = pkg / "site"

    month = (site / "timeline" / e["date"][:7] / "index.html").read_text(encoding="utf-8")
    heading = re.search(rf'<h2 id="{e["event_id"]}">(.*?)</h2>', month, flags=re.S).group(1)
    assert FEED_TITLE in html.unescape(re.sub(r"<[^>]+>", "", heading))
    assert "<- a < b" not in heading  # escaped in the HTML source, not raw

    slug = e["partner_id"].lower()
    feed = feedparser.parse((site / "partners" / slug / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    [entry] = [x for x in feed.entries if x.id.endswith("#" + e["event_id"])]
    assert FEED_TITLE in entry.title and entry.summary == CALENDAR_SUMMARY

    for ics in (site / "calendar.ics", site / "partners" / slug / "calendar.ics"):
        raw = ics.read_bytes()
        cal = icalendar.Calendar.from_ical(raw)
        vevents = list(cal.walk("VEVENT"))
        # Exactly the events the file begins: no line of the summary became a property or an event.
        assert len(vevents) == raw.count(b"\r\nBEGIN:VEVENT\r\n")
        [ours] = [x for x in vevents if str(x["UID"]) == f"{e['event_id']}@tariff-ledger"]
        assert str(ours["SUMMARY"]) == FEED_TITLE and str(ours["DESCRIPTION"]) == CALENDAR_SUMMARY
        assert not any(str(x.get("SUMMARY")) == "injected" for x in vevents)
