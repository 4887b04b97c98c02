"""The whole pipeline, one stage after the other: load -> validate -> derive -> render -> export -> site."""

from __future__ import annotations

import gc
from pathlib import Path

from .derive import Views, derive
from .export import export
from .load import load
from .render import render, render_data_page
from .site import build_site
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
    # Derived while Frictionless checks.
    views = validated_then(root, lambda pkg: derive(pkg, load(pkg), reuse=incremental), only=only)
    pkg = views.pkg
    docs = root / DOCS_DIR
    if not downloads:
        _, renderer = render(views, docs, incremental, assets_later=assets_later)
        return (views, renderer) if assets_later else views
    # The export stage needs only the validated package: it runs beside the rendering.
    manifest, renderer = render(
        views, docs, incremental, beside=lambda: export(pkg, docs / "data"), assets_later=assets_later
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
    views, renderer = generate(root, assets_later=True)
    gc.collect()
    target = Path(site_dir) if site_dir else root / "site"
    # MkDocs runs in a process of its own, on one core; the JSON files for the site's scripts are made on
    # the other meanwhile, and put into the new site before it replaces the old.
    build_site(root, target, views.pkg.data_as_of, meanwhile=renderer.write_assets)
    return target
