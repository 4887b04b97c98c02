"""Site stage: MkDocs builds the docs dir into a fresh folder beside site/, which replaces site/ in one
atomic step only when the build succeeded. A failed or killed build leaves the previous site/ intact."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

RENAME_EXCHANGE = 2


class SiteBuildError(Exception):
    pass


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE) == 0


def swap_into_place(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # `new` now holds the previous site
        return
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old)


def clean_leftovers(root: Path, target: Path) -> None:
    for p in root.glob(f"{target.name}.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


def source_date_epoch(root: Path, fallback: str) -> str:
    """Reproducible builds: dates come from the last commit (or data_as_of outside git), never the clock."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        run = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True)
        if run.returncode == 0 and run.stdout.strip():
            return run.stdout.strip()
    except OSError:
        pass
    return str(int(datetime.fromisoformat(fallback).replace(tzinfo=UTC).timestamp()))


def build_site(root: Path, site_dir: Path, data_as_of: str, config_file: str = "mkdocs.yml", meanwhile=None) -> None:
    """mkdocs build --strict into a temporary folder, then swap it into site_dir.

    MkDocs runs in a process of its own: it holds every page in memory at once, and so does not have
    to share the machine with the memory the earlier stages used. `meanwhile(folder)` runs here while it
    builds, making files MkDocs does not read; they are moved into the new site before the swap."""
    root, target = Path(root).resolve(), Path(site_dir).resolve()
    env = {**os.environ, "SOURCE_DATE_EPOCH": source_date_epoch(root, data_as_of), "NO_MKDOCS_2_WARNING": "1"}
    clean_leftovers(target.parent, target)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    extra = target.with_name(f"{target.name}.tmp-{os.getpid()}-assets")
    # Not --quiet: it hides the warnings that --strict must turn into a failed build.
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config_file, "-d", str(tmp)]
    try:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            made = meanwhile(extra) if meanwhile else []
        finally:
            _, stderr = proc.communicate()
        if proc.returncode != 0:
            raise SiteBuildError(f"mkdocs build failed:\n{stderr.strip()}")
        for path in made:
            dest = tmp / path.relative_to(extra)
            dest.parent.mkdir(parents=True, exist_ok=True)
            path.replace(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(extra, ignore_errors=True)
    swap_into_place(tmp, target)
