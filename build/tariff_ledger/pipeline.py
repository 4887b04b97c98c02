"""The whole pipeline, one stage after the other: load -> validate -> derive -> render -> export -> site."""

from __future__ import annotations

import gc
from pathlib import Path

from .derive import Views, derive
from .export import export
from .load import load
from .render import render, render_data_page
from .site import build_site
from .validate import validated_package

DOCS_DIR = "site_src"


def generate(root: Path | str = ".", downloads: bool = True) -> Views:
    """Validate, then write the generated pages (and, unless told not to, the downloads) into the docs
    dir. Raises PackageError."""
    root = Path(root)
    pkg = validated_package(root)
    views = derive(pkg, load(pkg))
    render(views, root / DOCS_DIR)
    if downloads:
        export_downloads(views, root)
    return views


def export_downloads(views: Views, root: Path | str = ".") -> None:
    """The export stage, and the /data/ page that lists what it wrote."""
    docs = Path(root) / DOCS_DIR
    manifest = export(views.pkg, docs / "data")
    render_data_page(views, docs, manifest)


def build(root: Path | str = ".", site_dir: Path | str | None = None) -> Path:
    """The full build into site/ (atomic: on any error the previous site/ is left as it was)."""
    root = Path(root)
    data_as_of = generate(root).pkg.data_as_of  # the derived views are freed before MkDocs needs memory
    gc.collect()
    target = Path(site_dir) if site_dir else root / "site"
    build_site(root, target, data_as_of)
    return target
