"""Whole builds of the real data: MkDocs in strict mode, Zensical on the same mkdocs.yml, the
published package under /data/, and the atomic guarantee on bad data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import set_cell

from tariff_ledger.cli import main

PAGES = [
    "index.html",
    "partners/index.html",
    "partners/kor/index.html",
    "partners/wld/index.html",
    "timeline/index.html",
    "rates/index.html",
    "rates/sectors/index.html",
    "pledges/index.html",
    "agreements/index.html",
    "sources/index.html",
    "data/index.html",
    "methodology/index.html",
    "contributing/index.html",
    "coverage/index.html",
]


def test_every_stable_url_is_built(built_site):
    for page in PAGES:
        assert (built_site / page).is_file(), page
    kor = (built_site / "partners/kor/index.html").read_text(encoding="utf-8")
    assert "South Korea" in kor and "<svg" in kor


def test_published_package_is_valid_under_the_real_frictionless(built_site):
    data = built_site / "data"
    for name in (
        "datapackage.json",
        "tariff_rates.csv",
        "partners.csv",
        "tariff-ledger.sqlite",
        "tariff-ledger.xlsx",
        "tariff-ledger.zip",
        "manifest.json",
    ):
        assert (data / name).is_file(), name
    run = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "datapackage.json"], cwd=data, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-2000:]


def test_a_mkdocs_warning_fails_the_build_and_keeps_the_site(pkg, capsys):
    # MkDocs runs in its own process, started before the pages are written; --strict still holds.
    assert main(["--root", str(pkg), "build"]) == 0
    index = (pkg / "site" / "index.html").read_bytes()
    (pkg / "site_src" / "stray.md").write_text("# Stray\n\n[a page that is not there](nowhere.md)\n")
    assert main(["--root", str(pkg), "build"]) == 1
    err = capsys.readouterr().err
    assert "mkdocs build failed" in err and "nowhere.md" in err
    assert (pkg / "site" / "index.html").read_bytes() == index
    assert not list(pkg.glob("site.tmp-*"))


def test_build_is_atomic_on_invalid_data(pkg, capsys):
    assert main(["--root", str(pkg), "build"]) == 0
    site = pkg / "site"
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    index = (site / "index.html").read_bytes()
    set_cell(pkg, "events", 0, date="2025-02-30")
    assert main(["--root", str(pkg), "build"]) == 1
    err = capsys.readouterr().err
    assert 'datasets/events.csv:2:2: date "2025-02-30" is not a valid date' in err
    assert "previous site/ is unchanged" in err
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before
    assert (site / "index.html").read_bytes() == index
    assert not list(pkg.glob("site.tmp-*"))


def test_zensical_builds_the_same_config(pkg):
    from tariff_ledger.pipeline import generate

    generate(pkg)
    zensical = Path(sys.executable).with_name("zensical")
    run = subprocess.run([str(zensical), "build"], cwd=pkg, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (pkg / "site" / "partners" / "kor" / "index.html").is_file()
    assert "South Korea" in (pkg / "site" / "partners" / "kor" / "index.html").read_text(encoding="utf-8")
    shutil.rmtree(pkg / "site")


def test_serve_previews_and_re_renders_after_an_edit(pkg):
    import http.client
    import os
    import signal
    import socket
    import time
    import urllib.request

    from conftest import read_rows, write_rows

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = pkg / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tariff_ledger.cli", "--root", str(pkg), "serve", "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )

    def page(path="/partners/kor/"):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                return r.read().decode("utf-8")
        except (OSError, http.client.HTTPException):  # down, or the page was being rewritten mid-read
            return ""

    def wait_for(text, seconds):
        deadline = time.monotonic() + seconds
        while text not in page():
            assert time.monotonic() < deadline, f"{text!r} never appeared"
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            time.sleep(0.2)

    try:
        wait_for("South Korea", 300)
        rows = read_rows(pkg, "events")
        i = next(i for i, r in enumerate(rows) if r["partner_id"] == "KOR")
        rows[i]["title"] = "Edited in the preview test"
        write_rows(pkg, "events", rows)
        wait_for("Edited in the preview test", 60)
        # Invalid data is reported and the last good pages stay up.
        rows[i]["date"] = "2025-13-01"
        write_rows(pkg, "events", rows)
        deadline = time.monotonic() + 60
        while "not re-rendered" not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        assert "Edited in the preview test" in page()
        # A descriptor caught half saved: a located problem, not a traceback, and the pages stay up.
        dp = pkg / "datapackage.json"
        good = dp.read_text(encoding="utf-8")
        seen = len(log.read_text(encoding="utf-8"))  # what the log said before (an edit may rebuild twice)
        dp.write_text(good[: len(good) // 2], encoding="utf-8")
        deadline = time.monotonic() + 60
        while not all(t in log.read_text(encoding="utf-8")[seen:] for t in ("datapackage.json:", "not re-rendered")):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        said = log.read_text(encoding="utf-8")[seen:]
        assert "Traceback" not in said, said[-2000:]
        assert "Edited in the preview test" in page()
        dp.write_text(good, encoding="utf-8")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert 'date "2025-13-01" is not a valid date' in log.read_text(encoding="utf-8")


def test_two_ceilings_on_one_good_are_not_added_up_on_the_card(built_site):
    # Korean drones: the Section 232 deal rate and the forced-labor rate are both ceilings that include
    # the normal duty; the card must not write them as a sum.
    import html
    import re

    page = (built_site / "partners" / "kor" / "index.html").read_text(encoding="utf-8")
    line = page[page.index('id="drones"') :]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", line[: line.index("</div>")])))
    assert "15% including the normal duty" in text and "Section 301" in text
    assert " + " not in text and "the higher is shown" in text


def test_goods_spared_by_a_condition_are_named_on_the_card(built_site):
    # EU medicines: the 15% ceiling applies, and the card names the goods the rules spare by a condition
    # the kind of good does not show (generic and specialty medicines), each linked to its rule.
    import html
    import re

    page = (built_site / "partners" / "euu" / "index.html").read_text(encoding="utf-8")
    line = page[page.index('id="pharmaceuticals"') :]
    line = line[: line.index("</div>")]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", line)))
    assert "15% including the normal duty" in text
    assert re.search(r"Exempt: generic medicines\s*;", text) and "specialty medicines" in text
    assert 'href="../../methodology/#euu-232-pharma-exempt-specialty-2026-09-29"' in line
    # Chinese medicines pay the 100% ceiling; no specialty exemption is listed for them.
    page = (built_site / "partners" / "chn" / "index.html").read_text(encoding="utf-8")
    line = page[page.index('id="pharmaceuticals"') :]
    assert "specialty medicines" not in line[: line.index("</div>")]


def test_a_rate_kept_by_a_new_instrument_is_dated_by_the_instrument_that_sets_it(built_site):
    # India paid 10% from 24 Feb 2026 under the Section 122 surcharge, then 10% under Section 301 from
    # 24 Jul 2026: the card must not say Section 301 applied since February.
    import html
    import re

    page = (built_site / "partners" / "ind" / "index.html").read_text(encoding="utf-8")
    line = page[page.index('id="all-goods"') :]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", line[: line.index("</div>")])))
    assert re.search(r"Section 301 \(forced-labor\), rate for India\s*, since 24 Jul 2026", text), text
    assert "the same rate since 24 Feb 2026, set until 24 Jul 2026 by Section 122" in text
    assert "Before: 25%" in text and "(until 24 Feb 2026)" in text


def test_a_global_step_up_is_not_the_next_step_where_a_deal_rate_holds(built_site):
    # The global Section 232 furniture rate is set to rise to 30% on 1 Jan 2027; EU and Korean furniture
    # keep their own 15% ceilings, so their cards must not list the rise; Vietnam's must.
    import html
    import re

    def line(pid):
        page = (built_site / "partners" / pid / "index.html").read_text(encoding="utf-8")
        part = page[page.index('id="upholstered-furniture"') :]
        return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", part[: part.index("</div>")])))

    assert "15% including the normal duty" in line("euu") and "30% from 1 Jan 2027" not in line("euu")
    assert "15% including the normal duty" in line("kor") and "30% from 1 Jan 2027" not in line("kor")
    assert "30% from 1 Jan 2027" in line("vnm")


def test_low_grade_outlets_are_marked_where_cited_and_the_rows_resting_on_them_are_listed(built_site):
    import csv
    import html
    import re

    from conftest import REPO

    def rows(name):
        with (REPO / "datasets" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    low = {s["source_id"]: s for s in rows("sources") if s["grade"] == "low-grade"}
    assert low
    # Every event citing a low-grade source shows the mark beside that citation on its month page.
    cited = [e for e in rows("events") if e["source_id"] in low]
    assert cited
    for e in cited[:10]:
        page = (built_site / "timeline" / e["date"][:7] / "index.html").read_text(encoding="utf-8")
        src = low[e["source_id"]]
        line = next(p for p in re.findall(r'<p class="tl-source">.*?</p>', page, re.S) if html.escape(src["url"]) in p)
        assert "low-grade outlet" in line, (e["event_id"], line[:300])
    # A source that is not low-grade is never marked.
    good = next(e for e in rows("events") if e["source_id"] not in low and e["second_source_id"] not in low)
    page = (built_site / "timeline" / good["date"][:7] / "index.html").read_text(encoding="utf-8")
    block = page[page.index(f'id="{good["event_id"]}"') :]
    assert "low-grade outlet" not in re.search(r'<p class="tl-source">.*?</p>', block, re.S).group(0)
    # The methodology page lists exactly the rows whose cited sources are all low-grade.
    keys = {"tariff_rates": "rate_id", "events": "event_id", "agreements": "agreement_id", "pledges": "pledge_id"}
    keys |= {"combination_rules": "rule_id", "product_lists": "list_id"}
    alone = {
        r[k]
        for name, k in keys.items()
        for r in rows(name)
        if r["source_id"] in low and (not r["second_source_id"] or r["second_source_id"] in low)
    }
    method = (built_site / "methodology" / "index.html").read_text(encoding="utf-8")
    section = method[method.index('id="low-grade-only"') :]
    section = section[section.index("<ul>") : section.index("</ul>")]
    assert set(re.findall(r"<code>([a-z0-9-]+)</code>", section)) - set(keys) == alone
