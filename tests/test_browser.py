"""The built site in a real headless browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading

import pytest
from conftest import RENDER_ALL, REPO, copy_package, read_rows, reading, set_cell, watched_page
from playwright.sync_api import expect

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PAGE_TYPES = [
    "/",
    "/partners/",
    "/partners/kor/",
    "/partners/deu/",
    "/partners/wld/",
    "/rates/",
    "/rates/sectors/",
    "/timeline/",
    "/pledges/",
    "/agreements/",
    "/sources/",
    "/data/",
    "/coverage/",
    "/methodology/",
    "/contributing/",
    "/compare/",
    "/lookup/",
    "/changelog/",
    "/timeline/2025-07/",
    "/rates/ranking/latest/",
]


@pytest.fixture
def page(browser, site_url):
    pg = watched_page(browser, site_url)
    yield pg
    pg.context.close()


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_loads_cleanly(page, site_url, path):
    response = page.goto(site_url + path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().strip() != ""
    assert page.problems == []


def test_site_search_finds_the_korea_page(page, site_url):
    page.goto(site_url + "/")
    page.wait_for_load_state("networkidle")  # the search worker has fetched the index
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    hit = page.locator('.md-search-result__link[href*="partners/kor/"]').first
    # Type as a person does; a query typed while the worker is still indexing is typed again.
    for _ in range(3):
        box.fill("")
        box.press_sequentially("Korea", delay=50)
        try:
            expect(hit).to_be_visible(timeout=10000)
            break
        except AssertionError:
            continue
    expect(hit).to_be_visible(timeout=1000)
    assert page.problems == []


def test_table_sorts_by_a_numeric_column(page, site_url):
    page.goto(site_url + "/partners/")
    header = page.locator("#tbl-partners thead th", has_text="Events")
    index = page.locator("#tbl-partners thead th").all_inner_texts().index(header.inner_text())
    header.locator("button").click()
    header.locator("button").click()  # second click: descending
    expect(header).to_have_attribute("aria-sort", "descending")
    values = page.locator(f"#tbl-partners tbody tr td:nth-child({index + 1})").all_inner_texts()
    numbers = [float(v) for v in values if v.strip()]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] > numbers[-1]
    # Numbers sort as numbers, not text: 71 comes before 9 descending.
    assert numbers[0] >= 60
    assert page.problems == []


@pytest.mark.parametrize(
    "path", ["/", "/partners/", "/partners/kor/", "/rates/", "/timeline/", "/compare/", "/lookup/", "/changelog/"]
)
def test_phone_width_has_no_horizontal_scroll(browser, site_url, path, tmp_path):
    pg = watched_page(browser, site_url, viewport={"width": 375, "height": 812}, device_scale_factor=1)
    pg.goto(site_url + path)
    pg.wait_for_load_state("networkidle")
    shot = tmp_path / "phone.png"
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    assert pg.problems == []
    pg.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/partners/",
        "/partners/kor/",
        "/rates/",
        "/rates/sectors/",
        "/timeline/",
        "/compare/",
        "/lookup/",
        "/changelog/",
        "/timeline/2025-07/",
        "/pledges/",
        "/agreements/",
    ],
)
def test_axe_finds_no_serious_or_critical_violation(browser, site_url, path, scheme):
    pg = watched_page(browser, site_url, color_scheme=scheme)
    pg.goto(site_url + path)
    pg.wait_for_load_state("networkidle")
    # Tables and charts off screen are laid out only when they near it (content-visibility: auto), and
    # axe reads the geometry of skipped content wrongly; lay everything out, as a reader scrolling does.
    pg.add_style_tag(content=RENDER_ALL)
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    pg.context.close()


TRICKY = {
    "title": "Tariffs: a < b & c, \"quoted\" and 'single' 😀 שלום עולם",
    # A name that, printed raw into <meta content="...">, would redirect every reader of the page.
    "name": 'Korea" http-equiv="refresh" content="0;url=https://example.org/',
    # A name that, written raw into a Markdown heading, would become a link, emphasis and attributes.
    "md_name": "Japan [a link](https://example.org/) *bold* {: #x }",
}


@pytest.fixture(scope="module")
def tricky_site(tmp_path_factory):
    """A site built from valid data whose text is awkward: it must render literally."""
    from tariff_ledger.pipeline import build

    root = copy_package(tmp_path_factory.mktemp("tricky"))
    # Text a validator must accept (no HTML tags, no entities), but a careless renderer would break.
    set_cell(root, "events", 0, title=TRICKY["title"], summary="a < b & c; x > y; 'quotes' \"double\"")
    kor = next(i for i, r in enumerate(read_rows(root, "partners")) if r["partner_id"] == "KOR")
    set_cell(root, "partners", kor, name=TRICKY["name"])
    jpn = next(i for i, r in enumerate(read_rows(root, "partners")) if r["partner_id"] == "JPN")
    set_cell(root, "partners", jpn, name=TRICKY["md_name"])
    build(root)
    from tariff_ledger.serve import static_server

    server = static_server(root / "site")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def test_tricky_text_renders_literally(browser, tricky_site):
    base, root = tricky_site
    event_id, day = (root / "datasets" / "events.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[:2]
    with reading(browser, base, f"/timeline/{day[:7]}/") as pg:
        article = pg.locator(f"article.tl-event:has(#{event_id})")
        assert article.count() == 1
        assert TRICKY["title"] in article.locator(f"#{event_id}").inner_text()
        assert "a < b & c; x > y; 'quotes' \"double\"" in article.inner_text()
        assert article.locator("script, img, b").count() == 0


def test_a_name_with_quotes_stays_text_in_the_pages_head(browser, tricky_site):
    """Names become page titles and descriptions, which the theme prints into <head> attributes."""
    base, _ = tricky_site
    with reading(browser, base, "/partners/kor/") as pg:
        pg.wait_for_timeout(1500)  # a refresh of 0 s would have left by now
        assert pg.url == f"{base}/partners/kor/"
        assert pg.locator("meta[http-equiv]").count() == 0
        assert pg.title().startswith(TRICKY["name"] + ": US tariffs")
        for sel in ('meta[name="description"]', 'meta[property="og:title"]', 'meta[name="twitter:title"]'):
            assert TRICKY["name"] in pg.locator(sel).get_attribute("content"), sel
        assert pg.locator("h1").first.inner_text().startswith(TRICKY["name"])


def test_a_name_with_markdown_stays_text_in_headings(browser, tricky_site):
    base, _ = tricky_site
    with reading(browser, base, "/partners/jpn/") as pg:
        heading = pg.locator("#answers")
        assert TRICKY["md_name"] in heading.inner_text()
        assert heading.locator("a[href^='https://example.org'], em, strong").count() == 0
        assert pg.locator("#x").count() == 0
        assert pg.locator(".md-content a[href^='https://example.org']").count() == 0
