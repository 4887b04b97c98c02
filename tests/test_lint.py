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
