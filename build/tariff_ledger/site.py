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


class MkDocsBuild:
    """`mkdocs build --strict` into a temporary folder, then swapped into site_dir.

    MkDocs runs in a process of its own, started first: Python, MkDocs, the theme and the Markdown
    extensions load while the earlier stages run, and it builds when run() says so. It holds every page
    in memory at once, and so does not share the memory the earlier stages used. Leaving the `with`
    block without run() stops it unbuilt."""

    def __init__(self, root: Path, site_dir: Path, config_file: str = "mkdocs.yml"):
        self.root, self.target = Path(root).resolve(), Path(site_dir).resolve()
        clean_leftovers(self.target.parent, self.target)
        self.tmp = self.target.with_name(f"{self.target.name}.tmp-{os.getpid()}")
        self.extra = self.target.with_name(f"{self.target.name}.tmp-{os.getpid()}-assets")
        package_dir = str(Path(__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "NO_MKDOCS_2_WARNING": "1",
            "PYTHONPATH": os.pathsep.join(p for p in (package_dir, os.environ.get("PYTHONPATH", "")) if p),
        }
        cmd = [sys.executable, "-m", "tariff_ledger.site", config_file, str(self.tmp)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def __enter__(self) -> MkDocsBuild:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:  # never told to build (an earlier stage failed): it exits unbuilt
            self.proc.communicate("")
        shutil.rmtree(self.extra, ignore_errors=True)

    def run(self, data_as_of: str, meanwhile=None, finish=None) -> None:
        """Build now. `meanwhile(folder)` runs here while MkDocs builds, making files MkDocs does not read;
        they are moved into the new site, and then `finish(new site)` runs, before the swap."""
        try:
            self.proc.stdin.write(f"build {source_date_epoch(self.root, data_as_of)}\n")
            self.proc.stdin.flush()  # communicate() closes it
            try:
                made = meanwhile(self.extra) if meanwhile else []
            finally:
                _, stderr = self.proc.communicate()
            if self.proc.returncode != 0:
                raise SiteBuildError(f"mkdocs build failed:\n{stderr.strip()}")
            for path in made:
                dest = self.tmp / path.relative_to(self.extra)
                dest.parent.mkdir(parents=True, exist_ok=True)
                path.replace(dest)
            if finish:
                finish(self.tmp)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        swap_into_place(self.tmp, self.target)


def _build_when_told(config_file: str, site_dir: str) -> None:
    """The MkDocs process of MkDocsBuild: load what the build needs, wait for the word, build (and exit
    with MkDocs' own status); without the word, exit unbuilt."""
    from mkdocs.__main__ import cli
    from mkdocs.config import load_config

    try:
        load_config(config_file)  # imports the theme, its plugins and the Markdown extensions now
    except Exception:  # the build below reports what is wrong
        pass
    word = sys.stdin.readline().split()
    if word[:1] == ["build"]:
        os.environ["SOURCE_DATE_EPOCH"] = word[1]
        # Not --quiet: it hides the warnings that --strict must turn into a failed build.
        cli(["build", "--strict", "-f", config_file, "-d", site_dir])


if __name__ == "__main__":
    _build_when_told(*sys.argv[1:])
