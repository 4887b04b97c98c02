"""Preview: build the site into .cache/preview/ and serve it at http://127.0.0.1:8000; whenever a CSV,
schema, template, hand-written page or the config changes, re-run validate, render and export and then
a dirty MkDocs build, so only the pages whose content changed are rebuilt. Invalid data is reported
and the last good pages stay up. Reload the browser to see a change."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import logging
import os
import sys
import threading
import time
from pathlib import Path

import jinja2
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .package import PackageError, open_package
from .pipeline import DOCS_DIR, export_downloads, generate
from .render import GENERATED, forget_rendered
from .validate import fingerprints, to_check

PREVIEW_DIR = ".cache/preview"
WATCHED = ("datasets", "schemas", "build/tariff_ledger/templates", DOCS_DIR)


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory, keyed (by Jinja) by name and source checksum: an edited template
    is compiled again."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


def _fingerprints(root: Path) -> dict[str, str] | None:
    """The files' fingerprints, or None while one of them cannot be read (a save in progress)."""
    try:
        return fingerprints(root)
    except (OSError, ValueError):
        return None


class Preview:
    def __init__(self, root: Path, addr: str):
        self.root, self.addr = root, addr
        self.lock = threading.Lock()  # one rebuild at a time: never build while pages are being written
        self.valid: dict[str, str] | None = None  # the files' fingerprints at the last valid run
        self.bytecode = MemoryBytecodeCache()

    def rebuild(self, data_changed: bool = True, full: bool = False) -> bool:
        """Re-render and rebuild what an edit changed. The page a reader looks at comes first: the scripts'
        JSON files, feeds and calendars, and then the downloads, follow it."""
        with self.lock:
            started = time.perf_counter()
            views = renderer = None
            if full:
                forget_rendered()  # MkDocs cleans the site: every page and file is made again
            if data_changed:
                now = _fingerprints(self.root)  # None with a descriptor half saved: validate() says where
                try:
                    only = None if full or now is None else to_check(open_package(self.root), self.valid, now)
                    views, renderer = generate(
                        self.root, downloads=full, incremental=True, assets_later=True, only=only
                    )
                except PackageError as e:
                    for p in e.problems:
                        print(p.text(), file=sys.stderr)
                    print(
                        "not re-rendered: fix the problems above; the preview shows the last good data", file=sys.stderr
                    )
                    return False
                self.valid = now
            if not self.build(full):
                return False
            print(f"rebuilt in {time.perf_counter() - started:.2f}s: http://{self.addr}/", file=sys.stderr)
            if renderer is not None:
                renderer.write_assets(self.root / PREVIEW_DIR)
            # The downloads are read from the files again: only if they are still the files just checked
            # (an edit saved meanwhile is checked, and exported, by the rebuild it triggers).
            if views is not None and not full and self.valid is not None and _fingerprints(self.root) == self.valid:
                try:
                    export_downloads(views, self.root)
                except Exception as e:  # a file changed while it was read; the next rebuild redoes it
                    print(f"downloads not refreshed: {e}", file=sys.stderr)
                    return True
                self.build(False)
            return True

    def build(self, full: bool) -> bool:
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            cfg = load_config("mkdocs.yml", site_dir=str(self.root / PREVIEW_DIR), site_url=f"http://{self.addr}/")
            theme_env = cfg.theme.get_env

            def compiled_once():  # the theme's templates are compiled once, not on every rebuild
                env = theme_env()
                env.bytecode_cache = self.bytecode
                return env

            cfg.theme.get_env = compiled_once
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


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site as a static host does (GitHub Pages among them): text files gzip-compressed
    when the browser accepts it; no request log."""

    TEXT = (".html", ".css", ".js", ".json", ".svg", ".xml", ".csv", ".ics")

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (path.suffix in self.TEXT and path.is_file() and accepts) or not self.path.split("?")[0].endswith(
            ("/", *self.TEXT)
        ):
            return super().send_head()  # directories without a slash are redirected as before
        body = gzip.compress(path.read_bytes(), 6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def static_server(site: Path, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for a built site (port 0: any free port); call serve_forever() to run it."""
    return http.server.ThreadingHTTPServer((host, port), functools.partial(StaticHandler, directory=str(site)))


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
    server = static_server(root / PREVIEW_DIR, host, int(port))
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
