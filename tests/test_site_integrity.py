"""Builds that can be trusted: internal links and anchors resolve, two builds are byte-identical, and a
build killed midway leaves the previous site/ intact and complete."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO

from tariff_ledger.pipeline import build


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "link", "script", "img", "iframe", "source"):
                self.links.append(a[key])


def parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_internal_link_and_anchor_resolves(built_site):
    pages = {p: parse(p) for p in built_site.rglob("*.html") if p.name != "404.html"}
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built_site)}: {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(built_site)}: {link} (no such anchor)")
    assert broken == []
    assert sum(len(p.links) for p in pages.values()) > 10_000  # the check really looked


def test_every_source_url_is_well_formed_https():
    with (REPO / "datasets" / "sources.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for col in ("url", "archive_url"):
                if row[col]:
                    parts = urlsplit(row[col])
                    assert parts.scheme == "https" and "." in parts.netloc and " " not in row[col], row[col]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_builds_are_byte_identical(pkg, tmp_path):
    build(pkg, tmp_path / "one")
    # The second in a process of its own with another string-hash seed: no output may depend on the
    # order of a set.
    script = "import sys; from tariff_ledger.pipeline import build; build(*sys.argv[1:])"
    subprocess.run(
        [sys.executable, "-c", script, str(pkg), str(tmp_path / "two")],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        check=True,
        capture_output=True,
    )
    one, two = tree_hashes(tmp_path / "one"), tree_hashes(tmp_path / "two")
    assert len(one) > 100
    assert one == two


def test_a_build_killed_midway_leaves_the_previous_site_intact(pkg):
    build(pkg)
    before = tree_hashes(pkg / "site")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tariff_ledger.cli", "--root", str(pkg), "build"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    # Wait until MkDocs is writing the new site aside (its first files, the theme's, come seconds before
    # the pages and the swap), then kill the whole build.
    while time.monotonic() < deadline and proc.poll() is None:
        tmp = [p for p in pkg.glob("site.tmp-*") if not p.name.endswith("-assets")]
        if tmp and any(f.is_file() for f in tmp[0].rglob("*")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(pkg.glob("site.tmp-*")), "the kill came before the new site was being written"
    assert tree_hashes(pkg / "site") == before
    # The next build cleans up what the killed one left and succeeds.
    build(pkg)
    assert not list(pkg.glob("site.tmp-*"))
    assert (pkg / "site" / "index.html").is_file()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("stage", ["render", "export"])
def test_a_build_killed_in_render_or_export_leaves_site_and_downloads_whole(pkg, tmp_path, stage):
    """Killed while it writes the generated pages (render) or makes the downloads (export, while MkDocs
    runs): site/ and its downloads stay as they were, every generated page and download in site_src/ is
    either the old file or the new one whole (what a preview would serve; the /data/ page may be the one
    MkDocs is building, whose sizes are filled in once the downloads are made), and the next build
    completes."""
    build(pkg)
    site_before = tree_hashes(pkg / "site")
    docs = pkg / "site_src"
    old = _snapshot(docs)
    # A change that reaches every partner page and every download: a later data date.
    dp = pkg / "datapackage.json"
    meta = json.loads(dp.read_text(encoding="utf-8"))
    meta["data_as_of"] = (date.fromisoformat(meta["data_as_of"]) + timedelta(days=1)).isoformat()
    dp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tariff_ledger.cli", "--root", str(pkg), "build"],
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def in_stage() -> bool:
        if stage == "export":  # the downloads are being made aside, beside the new site MkDocs writes
            return any(f.is_file() for d in pkg.glob("site.tmp-*-assets/data") for f in d.iterdir())
        return any(p.stat().st_mtime > started for p in (docs / "partners").glob("*.md"))

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and not in_stage():
        time.sleep(0.02)
    assert proc.poll() is None, f"the build finished before it could be killed in {stage}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if stage == "render":
        assert not list(pkg.glob("site.tmp-*")), "the kill came after render: MkDocs had started"
    killed = _snapshot(docs)
    assert tree_hashes(pkg / "site") == site_before  # the published site and its downloads
    build(pkg)
    new = _snapshot(docs)
    assert not [n for n in new if "/." in "/" + n and ".tmp-" in n]  # leftovers cleaned up
    later = date.fromisoformat(meta["data_as_of"])
    assert f"{later:%-d %B %Y}" in (pkg / "site" / "index.html").read_text(encoding="utf-8")
    # Every file a preview could serve right after the kill is whole: the old one or the new one.
    torn = [
        name
        for name, data in killed.items()
        if not Path(name).name.startswith(".")
        and data != old.get(name)
        and data != new.get(name)
        and not (name == "data/index.md" and b"@@tl-size:" in data)
    ]
    assert torn == []
    changed = [n for n, d in killed.items() if d != old.get(n)]
    if stage == "render":
        assert changed, "the kill came before render wrote anything"
    else:  # the downloads in the docs dir are replaced only once MkDocs has built the new site
        assert all(killed[n] == old[n] for n in old if n.startswith("data/") and n != "data/index.md")
