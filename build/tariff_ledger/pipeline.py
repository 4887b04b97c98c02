"""The whole pipeline, one stage after the other: load -> validate -> derive -> render -> export -> site."""

from __future__ import annotations

import gc
from pathlib import Path

from .derive import Views, derive
from .export import export, install, make, prune
from .load import load
from .render import fill_data_page, prepared, render, render_data_page
from .site import MkDocsBuild
from .validate import validated_then

DOCS_DIR = "site_src"


def generate(
    root: Path | str = ".", downloads: bool = True, incremental: bool = False, assets_later: bool = False, only=None
):
    """Validate, then write the generated pages (and, unless told not to, the downloads) into the docs
    dir; incremental (the preview server) re-renders only the pages whose data changed and reuses the
    combined answers when their inputs did not change; only: the resources Frictionless must check (see
    validate()). Returns the views, and with assets_later the Renderer whose write_assets makes the
    scripts' JSON files (the build calls it while MkDocs runs). Raises PackageError."""
    root = Path(root)
    docs = root / DOCS_DIR

    def derived(pkg):  # while Frictionless checks: the views, and the rows grouped for the pages
        views = derive(pkg, load(pkg), reuse=incremental)
        return views, prepared(views, docs, incremental)

    views, ready = validated_then(root, derived, only=only)
    pkg = views.pkg
    if not downloads:
        _, renderer = render(views, docs, incremental, assets_later=assets_later, renderer=ready)
        return (views, renderer) if assets_later else views
    # The export stage needs only the validated package: it runs beside the rendering.
    manifest, renderer = render(
        views, docs, incremental, beside=lambda: export(pkg, docs / "data"), assets_later=assets_later, renderer=ready
    )
    render_data_page(views, docs, manifest)
    return (views, renderer) if assets_later else views


def export_downloads(views: Views, root: Path | str = ".") -> None:
    """The export stage, and the /data/ page that lists what it wrote."""
    docs = Path(root) / DOCS_DIR
    manifest = export(views.pkg, docs / "data")
    render_data_page(views, docs, manifest)


def build(root: Path | str = ".", site_dir: Path | str | None = None) -> Path:
    """The full build into site/ (atomic: on any error the previous site/ is left as it was)."""
    root = Path(root)
    target = Path(site_dir) if site_dir else root / "site"
    docs = root / DOCS_DIR
    made: dict = {}
    # MkDocs starts loading in a process of its own now, and builds once the pages are written.
    with MkDocsBuild(root, target) as mkdocs:
        views, renderer = generate(root, downloads=False, assets_later=True)
        # The downloads are made while MkDocs runs: the /data/ page lists them now, and their sizes and
        # checksums are filled into the built page once they are made.
        render_data_page(views, docs, None)
        gc.collect()

        def meanwhile(extra: Path) -> list[Path]:
            # MkDocs builds on one core; the downloads and the JSON files for the site's scripts are made on
            # the other meanwhile, and put into the new site before it replaces the old.
            made["manifest"] = make(views.pkg, extra / "data")
            return [*sorted((extra / "data").iterdir()), *renderer.write_assets(extra)]

        def finish(site: Path) -> None:
            listed = site / "data" / "manifest.json"
            fill_data_page(site / "data" / "index.html", made["manifest"], listed.stat().st_size)
            prune(site / "data")  # what MkDocs copied of downloads an earlier build left in the docs dir
            install(site / "data", docs / "data")  # the docs dir holds them too, for `mkdocs serve`
            render_data_page(views, docs, made["manifest"])

        mkdocs.run(views.pkg.data_as_of, meanwhile=meanwhile, finish=finish)
    return target
