"""For data users and contributors: the loading commands on /data/ run on the published files, the
citation and workflow files pass their validators, and `tariff-ledger diff` reads real git history."""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, copy_package, set_cell

from tariff_ledger.cli import main

TOOLS = REPO / ".venv-tools" / "bin"
VENV = Path(sys.executable).parent


def snippets(site: Path) -> list[tuple[str, str]]:
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    found = re.findall(r'<code class="language-\w+" data-run="(\w+)">(.*?)</code>', page, flags=re.S)
    return [(kind, html.unescape(code)) for kind, code in found]


@pytest.fixture(scope="module")
def downloads(built_site, tmp_path_factory):
    folder = tmp_path_factory.mktemp("downloads")
    for f in (built_site / "data").iterdir():
        if f.is_file() and f.name != "index.html":
            shutil.copy2(f, folder / f.name)
    return folder


def run(cmd, cwd, **kw):
    env = {**os.environ, "PATH": f"{VENV}{os.pathsep}{TOOLS}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300, **kw)


def test_data_page_has_every_loading_example(built_site):
    kinds = [k for k, _ in snippets(built_site)]
    assert kinds.count("python") == 2 and {"r", "duckdb", "sh", "datasette"} <= set(kinds)


@pytest.mark.parametrize("kind", ["python", "r", "duckdb", "sh"])
def test_loading_examples_run_on_the_published_files(built_site, downloads, kind):
    for k, code in snippets(built_site):
        if k != kind:
            continue
        if kind == "python":
            result = run([sys.executable, "-c", code], downloads)
        elif kind == "duckdb":
            result = run([str(TOOLS / "python"), "-c", code], downloads)
        elif kind == "r":
            result = run(["Rscript", "-e", code], downloads)
        else:
            result = run(["sh", "-c", code], downloads)
        assert result.returncode == 0, f"{code}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
        assert result.stdout.strip() or "validate" in code


def test_datasette_serves_the_sqlite_database(built_site, downloads):
    [(_kind, code)] = [s for s in snippets(built_site) if s[0] == "datasette"]
    with socket.socket() as s:
        busy = s.connect_ex(("127.0.0.1", 8001)) == 0
    if busy:
        pytest.fail("port 8001, used by the documented Datasette command, is busy")
    env = {**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(
        ["sh", "-c", "exec " + code], cwd=downloads, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = "http://127.0.0.1:8001/tariff-ledger/partners.json?partner_id=KOR&_shape=array"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("datasette did not answer")
        assert '"South Korea"' in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_citation_file_is_valid_and_matches_the_package():
    result = subprocess.run(
        [str(TOOLS / "cffconvert"), "--validate", "-i", str(REPO / "CITATION.cff")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    import json

    version = json.loads((REPO / "datapackage.json").read_text())["version"]
    assert f"version: {version}" in (REPO / "CITATION.cff").read_text()
    assert f"## {version} " in (REPO / "CHANGELOG.md").read_text()


def test_data_page_cites_version_and_data_as_of(built_site):
    import json

    meta = json.loads((REPO / "datapackage.json").read_text())
    text = html.unescape((built_site / "data" / "index.html").read_text(encoding="utf-8"))
    assert f"(Version {meta['version']}, data as of {meta['data_as_of']})" in text  # APA
    assert f"version = {{{meta['version']}}}" in text and f"note = {{Data as of {meta['data_as_of']}}}" in text


def test_data_page_gives_the_size_and_checksum_of_each_published_file(built_site):
    # The build makes the downloads while MkDocs runs and fills their figures into the built page.
    import hashlib

    data = built_site / "data"
    page = (data / "index.html").read_text(encoding="utf-8")
    rows = re.findall(
        r'<tr><td><a href="([^"]+)">[^<]+</a></td><td>[^<]*</td><td data-sort="(\d+)">([\d,]+)</td>', page
    )
    listed = {name for name, _, _ in rows}
    assert listed == {p.name for p in data.iterdir() if p.is_file() and p.name != "index.html"}
    for name, sort, shown in rows:
        body = (data / name).read_bytes()
        assert int(sort) == len(body) and shown == f"{len(body):,}", name
        if name != "manifest.json":
            assert f"{name}</a>" in page and f"<code>{hashlib.sha256(body).hexdigest()[:16]}…</code>" in page, name
    assert "@@tl-" not in page and "@@tl-" not in (data.parent / "search" / "search_index.json").read_text()
    # The docs dir holds the same downloads and a /data/ page with the same figures.
    docs = built_site.parent / "site_src" / "data"
    assert all((docs / name).read_bytes() == (data / name).read_bytes() for name in listed)
    assert f"{len((data / 'tariff-ledger.xlsx').read_bytes()):,}" in (docs / "index.md").read_text(encoding="utf-8")


def test_workflows_pass_actionlint(tmp_path):
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert {w.name for w in workflows} >= {"pull-request.yml", "pages.yml", "links.yml"}
    result = subprocess.run([str(TOOLS / "actionlint"), *map(str, workflows)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    assert subprocess.run([str(TOOLS / "actionlint"), str(broken)], capture_output=True).returncode == 1


def test_pull_request_workflow_runs_the_checks():
    text = (REPO / ".github" / "workflows" / "pull-request.yml").read_text()
    for needed in (
        "tariff-ledger validate --format github",
        "tariff-ledger build",
        "./scripts/test",
        '--format markdown >> "$GITHUB_STEP_SUMMARY"',
        "--require-hashes",
    ):
        assert needed in text


def git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd, check=True, capture_output=True
    )


def test_diff_on_real_git_history(pkg, capsys):
    git(pkg, "init", "-q")
    git(pkg, "add", "datasets", "schemas", "datapackage.json")
    git(pkg, "commit", "-qm", "base")
    line = set_cell(pkg, "events", 0, title="A corrected title")
    from conftest import add_row, read_rows, write_rows

    first_event = read_rows(pkg, "events")[0]["event_id"]
    add_row(pkg, "sources", source_id="diff-test-source")
    rows = read_rows(pkg, "agreements")
    removed = rows.pop()["agreement_id"]
    write_rows(pkg, "agreements", rows)
    assert line == 2
    assert main(["--root", str(pkg), "diff", "HEAD"]) == 0
    text = capsys.readouterr().out
    assert "events: 0 added, 0 removed, 1 changed" in text
    assert f"  ~ {first_event}" in text and "title: " in text and "-> 'A corrected title'" in text
    assert "sources: 1 added, 0 removed, 0 changed" in text and "  + diff-test-source" in text
    assert f"  - {removed}" in text
    assert main(["--root", str(pkg), "diff", "HEAD", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| events | 0 | 0 | 1 |" in md and "| agreements | 0 | 1 | 0 |" in md
    assert f"| `{first_event}` | title |" in md and "| A corrected title |" in md
    git(pkg, "add", "-A")
    git(pkg, "commit", "-qm", "change")
    assert main(["--root", str(pkg), "diff", "HEAD"]) == 0
    assert "no data changes since HEAD" in capsys.readouterr().out


def test_diff_with_an_unknown_revision_fails_clearly(pkg, capsys):
    git(pkg, "init", "-q")
    assert main(["--root", str(pkg), "diff", "no-such-rev"]) == 2
    assert "git could not read datasets/partners.csv at 'no-such-rev'" in capsys.readouterr().err


def test_every_partner_page_links_to_edit_the_data(built_site):
    page = (built_site / "partners" / "kor" / "index.html").read_text(encoding="utf-8")
    assert page.count("/blob/main/datasets/") >= 4 and "Edit this data" in page


def test_copy_package_has_no_generated_pages(tmp_path):
    root = copy_package(tmp_path)
    assert not (root / "site_src" / "partners").exists()
