"""The code stays ruff-clean (the rule set is in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    run = subprocess.run(
        [str(ruff), "check", "build", "tests", "bench"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:]


def test_no_generated_page_is_committed_and_git_ignores_them_all():
    """What the render stage writes into the docs dir is rebuilt on every build: a committed copy would go
    stale in the repository (and in every pull request's diff)."""
    from tariff_ledger.render import GENERATED

    tracked = subprocess.run(
        ["git", "ls-files", "site_src"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    committed = [p for p in tracked if any(p == f"site_src/{g}" or p.startswith(f"site_src/{g}/") for g in GENERATED)]
    assert committed == [], f"generated, yet committed: {committed} (git rm --cached them)"
    for g in GENERATED:
        probe = f"site_src/{g}" + ("/x.md" if "." not in g else "")
        ignored = subprocess.run(["git", "check-ignore", "-q", probe], cwd=REPO, check=False)
        assert ignored.returncode == 0, f"{probe} is not ignored by .gitignore"
