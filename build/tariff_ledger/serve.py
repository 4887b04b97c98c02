"""Preview: MkDocs serves the docs dir with live reload; a watcher re-runs validate, render and export
whenever a CSV, schema, template or datapackage.json changes. Invalid data is reported and the last
good pages stay up."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .package import PackageError
from .pipeline import generate

WATCHED = ("datasets", "schemas", "build/tariff_ledger/templates")


def regenerate(root: Path) -> bool:
    started = time.perf_counter()
    try:
        generate(root)
    except PackageError as e:
        for p in e.problems:
            print(p.text(), file=sys.stderr)
        print("not re-rendered: fix the problems above", file=sys.stderr)
        return False
    print(f"re-rendered in {time.perf_counter() - started:.2f}s", file=sys.stderr)
    return True


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path):
        self.root, self.timer = root, None

    def on_any_event(self, event):
        if event.is_directory or not str(event.src_path).endswith((".csv", ".json", ".j2")):
            return
        if self.timer:  # editors write in bursts: wait for the burst to end
            self.timer.cancel()
        self.timer = threading.Timer(0.2, regenerate, [self.root])
        self.timer.start()


def serve(root: Path, addr: str) -> int:
    root = Path(root).resolve()
    if not regenerate(root):
        return 1
    observer = Observer()
    handler = _Handler(root)
    for rel in WATCHED:
        if (root / rel).is_dir():
            observer.schedule(handler, str(root / rel), recursive=True)
    observer.schedule(handler, str(root), recursive=False)  # datapackage.json
    observer.start()
    try:
        return subprocess.call([sys.executable, "-m", "mkdocs", "serve", "--dirty", "-a", addr], cwd=root)
    except KeyboardInterrupt:
        return 0
    finally:
        observer.stop()
        observer.join()
