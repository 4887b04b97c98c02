"""Shared fixtures: a private copy of the real package for each test that changes it, and one real
build of the real data for the tests that read the site."""

from __future__ import annotations

import csv
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_FILES = ("datapackage.json", "mkdocs.yml", "CONTRIBUTING.md")
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
    """The built site served on a loopback port for the browser tests."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
