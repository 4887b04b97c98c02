"""Preview: build the site into .cache/preview/ and serve it at http://127.0.0.1:8000; whenever a CSV,
schema, template, hand-written page or the config changes, re-run validate, render and export and then
a dirty MkDocs build, so only the pages whose content changed are rebuilt. Invalid data is reported
and the last good pages stay up. Reload the browser to see a change."""

from __future__ import annotations

import functools
import http.server
import logging
import os
import sys
import threading
import time
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .package import PackageError
from .pipeline import DOCS_DIR, export_downloads, generate
from .render import GENERATED

PREVIEW_DIR = ".cache/preview"
WATCHED = ("datasets", "schemas", "build/tariff_ledger/templates", DOCS_DIR)


class Preview:
    def __init__(self, root: Path, addr: str):
        self.root, self.addr = root, addr
        self.lock = threading.Lock()  # one rebuild at a time: never build while pages are being written

    def rebuild(self, data_changed: bool = True, full: bool = False) -> bool:
        with self.lock:
            started = time.perf_counter()
            views = None
            if data_changed:
                try:
                    views = generate(self.root, downloads=full, incremental=True)
                except PackageError as e:
                    for p in e.problems:
                        print(p.text(), file=sys.stderr)
                    print(
                        "not re-rendered: fix the problems above; the preview shows the last good data", file=sys.stderr
                    )
                    return False
            if not self.build(full):
                return False
            print(f"rebuilt in {time.perf_counter() - started:.2f}s: http://{self.addr}/", file=sys.stderr)
            if views is not None and not full:
                # The downloads come second, so an edit shows on its pages as soon as possible.
                export_downloads(views, self.root)
                self.build(False)
            return True

    def build(self, full: bool) -> bool:
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            cfg = load_config("mkdocs.yml", site_dir=str(self.root / PREVIEW_DIR), site_url=f"http://{self.addr}/")
            mkdocs_build(cfg, dirty=not full)
        except Exception as e:  # a broken hand-written page must not stop the preview
            print(f"mkdocs build failed: {e}", file=sys.stderr)
            return False
        finally:
            os.chdir(cwd)
        return True


class _Handler(FileSystemEventHandler):
    def __init__(self, preview: Preview):
        self.preview, self.timer = preview, None
        self.generated = [preview.root / DOCS_DIR / g for g in (*GENERATED, "data")]

    def on_any_event(self, event):
        if event.event_type not in ("created", "modified", "moved", "deleted", "closed"):
            return  # reads (opened, closed_no_write) are the build itself reading its sources
        path = Path(str(event.src_path))
        if event.is_directory or path.name.startswith(".") or any(path.is_relative_to(g) for g in self.generated):
            return  # our own output, or an editor's temporary file
        if path.suffix not in (".csv", ".json", ".j2", ".md", ".css", ".js", ".yml", ".html"):
            return
        in_docs = path.is_relative_to(self.preview.root / DOCS_DIR)
        full = path.name == "mkdocs.yml"
        if self.timer:  # editors write in bursts: wait for the burst to end
            self.timer.cancel()
        self.timer = threading.Timer(0.05, self.preview.rebuild, kwargs={"data_changed": not in_docs, "full": full})
        self.timer.start()


def serve(root: Path, addr: str) -> int:
    root = Path(root).resolve()
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    preview = Preview(root, addr)
    if not preview.rebuild(full=True):
        return 1
    observer = Observer()
    handler = _Handler(preview)
    for rel in WATCHED:
        if (root / rel).is_dir():
            observer.schedule(handler, str(root / rel), recursive=True)
    observer.schedule(handler, str(root), recursive=False)  # datapackage.json, mkdocs.yml
    observer.start()
    host, port = addr.rsplit(":", 1)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        (host, int(port)), functools.partial(Quiet, directory=str(root / PREVIEW_DIR))
    )
    print(f"serving http://{addr}/ (Ctrl-C to stop)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        observer.stop()
        observer.join()
    return 0
