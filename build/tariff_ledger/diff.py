"""What changed in the data between a git revision and the working tree: rows added, removed and
changed per resource (keyed by the primary key), with the changed cells. Feeds the changelog and the
pull-request summary."""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .package import RESOURCES, Package


@dataclass
class ResourceDiff:
    name: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # id -> [(column, old, new)]

    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _rows(text: str, key: str) -> dict[str, dict]:
    """Rows by primary key (a composite key is joined with +)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    parts = key.split("+")
    return {"+".join(r.get(k, "") for k in parts): r for r in csv.DictReader(io.StringIO(text, newline=""))}


def _at_revision(root: Path, rev: str, path: str) -> str | None:
    run = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True)
    if run.returncode != 0:
        err = run.stderr.decode(errors="replace")
        if "does not exist" in err or "exists on disk, but not in" in err:
            return None  # the file is new since rev
        raise ValueError(f"git could not read {path} at {rev!r}: {err.strip()}")
    return run.stdout.decode("utf-8")


def diff(pkg: Package, rev: str, new_rev: str | None = None) -> list[ResourceDiff]:
    """Rows added, removed and changed from revision `rev` to `new_rev` (default: the working tree)."""
    out = []
    for name in RESOURCES:
        key = "+".join(pkg.schemas[name]["primaryKey"])
        path = pkg.resource(name)["path"]
        old_text = _at_revision(pkg.root, rev, path)
        old = _rows(old_text, key) if old_text is not None else {}
        if new_rev is None:
            new = _rows(pkg.csv_path(name).read_text(encoding="utf-8"), key)
        else:
            new_text = _at_revision(pkg.root, new_rev, path)
            new = _rows(new_text, key) if new_text is not None else {}
        d = ResourceDiff(name, added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)))
        for k in sorted(set(old) & set(new)):
            cells = [
                (c, old[k].get(c, ""), new[k].get(c, "")) for c in new[k] if old[k].get(c, "") != new[k].get(c, "")
            ]
            cells += [(c, old[k][c], "") for c in old[k] if c not in new[k]]
            if cells:
                d.changed[k] = cells
        out.append(d)
    return out


def format_text(diffs: list[ResourceDiff], rev: str) -> str:
    if all(d.empty() for d in diffs):
        return f"no data changes since {rev}"
    lines = [f"data changes since {rev}:"]
    for d in diffs:
        if d.empty():
            continue
        lines.append(f"{d.name}: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
        lines += [f"  + {k}" for k in d.added] + [f"  - {k}" for k in d.removed]
        for k, cells in d.changed.items():
            lines.append(f"  ~ {k}")
            lines += [f"      {c}: {old!r} -> {new!r}" for c, old, new in cells]
    return "\n".join(lines)


def _md(value: str) -> str:
    # Cells go into a Markdown table: keep them on one line and inert.
    return (
        value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace("`", "'") or " "
    )


def format_markdown(diffs: list[ResourceDiff], rev: str) -> str:
    if all(d.empty() for d in diffs):
        return f"No data changes since `{rev}`.\n"
    out = [f"## Data changes since `{rev}`", "", "| resource | added | removed | changed |", "|---|---:|---:|---:|"]
    out += [f"| {d.name} | {len(d.added)} | {len(d.removed)} | {len(d.changed)} |" for d in diffs if not d.empty()]
    for d in diffs:
        if d.empty():
            continue
        out += ["", f"### {d.name}", ""]
        out += [f"- added `{k}`" for k in d.added] + [f"- removed `{k}`" for k in d.removed]
        if d.changed:
            out += ["", "| id | column | before | after |", "|---|---|---|---|"]
            out += [
                f"| `{k}` | {c} | {_md(old)} | {_md(new)} |" for k, cells in d.changed.items() for c, old, new in cells
            ]
    return "\n".join(out) + "\n"
