"""Shared fixtures: a private copy of the real package for each test that changes it, and one real
build of the real data for the tests that read the site."""

from __future__ import annotations

import contextlib
import csv
import shutil
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_FILES = ("datapackage.json", "mkdocs.yml", "CONTRIBUTING.md", "CHANGELOG.md")
PACKAGE_DIRS = ("datasets", "schemas", "overrides")


def copy_package(dest: Path) -> Path:
    """The package, site config and hand-written pages, without generated or built files."""
    for name in PACKAGE_FILES:
        shutil.copy2(REPO / name, dest / name)
    for name in PACKAGE_DIRS:
        shutil.copytree(REPO / name, dest / name)
    from tariff_ledger.render import GENERATED

    shutil.copytree(
        REPO / "site_src",
        dest / "site_src",
        ignore=lambda d, names: [
            n for n in names if (Path(d) / n).relative_to(REPO / "site_src").as_posix() in GENERATED
        ],
    )
    return dest


@pytest.fixture
def pkg(tmp_path) -> Path:
    return copy_package(tmp_path)


def col(resource: str, field: str) -> int:
    """The 1-based column of a field, as the schema orders the CSV's columns."""
    import json

    fields = json.loads((REPO / "schemas" / f"{resource}.json").read_text(encoding="utf-8"))["fields"]
    return [f["name"] for f in fields].index(field) + 1


def read_rows(pkg_dir: Path, resource: str) -> list[dict]:
    with (pkg_dir / "datasets" / f"{resource}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(pkg_dir: Path, resource: str, rows: list[dict]) -> None:
    with (pkg_dir / "datasets" / f"{resource}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def add_row(pkg_dir: Path, resource: str, **changes) -> int:
    """Append a copy of the first row with `changes`; return the line it lands on."""
    rows = read_rows(pkg_dir, resource)
    rows.append({**rows[0], **changes})
    write_rows(pkg_dir, resource, rows)
    return len(rows) + 1


def set_cell(pkg_dir: Path, resource: str, index: int, **changes) -> int:
    """Change cells of data row `index` (0-based); return its line (rows here hold no newlines)."""
    rows = read_rows(pkg_dir, resource)
    rows[index].update(changes)
    write_rows(pkg_dir, resource, rows)
    return index + 2


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """One full build of the real data, shared by the tests that only read the site."""
    from tariff_ledger.pipeline import build

    root = copy_package(tmp_path_factory.mktemp("build"))
    build(root)
    return root / "site"


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served on a loopback port for the browser tests, gzip-compressed as a static host
    serves it."""
    from tariff_ledger.serve import static_server

    server = static_server(built_site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# -- the browser, for the tests that read the site as a person does --------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Tables and charts off screen are laid out only when they near it (content-visibility: auto in tl.css);
# a test that measures the whole page lays everything out first, as a reader scrolling through does.
RENDER_ALL = "* { content-visibility: visible !important; }"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def watched_page(browser, base, **context_args):
    context = browser.new_context(**context_args)
    pg = context.new_page()
    pg.problems = []  # console errors, page errors, requests leaving the site, dialogs
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(base) or r.url.startswith("data:")
            else pg.problems.append(f"request left the site: {r.url}")
        ),
    )
    pg.on("dialog", lambda d: (pg.problems.append(f"dialog: {d.message}"), d.dismiss()))
    return pg


@contextlib.contextmanager
def reading(browser, base, path, **context_args):
    """A watched page at `path`, loaded; on leaving, it must have met no problem, and it is closed."""
    pg = watched_page(browser, base, **context_args)
    try:
        pg.goto(base + path)
        pg.wait_for_load_state("networkidle")
        yield pg
        assert pg.problems == []
    finally:
        pg.context.close()
