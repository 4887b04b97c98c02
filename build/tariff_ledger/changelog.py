"""The release history (for the render stage): each release of the data (a git tag vX.Y.Z) with the rows
added, removed and changed since the one before (tariff-ledger diff between the two tags) and its
CHANGELOG.md entry. A clone without tags or history (shallow) gets the entries without the comparison,
and says why."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

from .diff import ResourceDiff, diff
from .package import Package

UNRELEASED = "unreleased"  # the data as it stands, changed since the latest release tag
TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


@dataclass
class Release:
    version: str
    tag: str  # "" for the changes not yet released
    date: str  # the tag's commit date, YYYY-MM-DD
    notes: str = ""  # its CHANGELOG.md entry, as Markdown
    diffs: list[ResourceDiff] = field(default_factory=list)
    compared_to: str = ""  # the release it is compared with, "" for the first
    problem: str = ""  # why it could not be compared, if it could not


def _git(pkg: Package, *args: str) -> str | None:
    try:
        run = subprocess.run(["git", *args], cwd=pkg.root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout if run.returncode == 0 else None


def changelog_entries(pkg: Package) -> dict[str, str]:
    """CHANGELOG.md's entries by version ("## 0.2.0 (data as of ...)" headings)."""
    path = pkg.root / "CHANGELOG.md"
    if not path.exists():
        return {}
    out, version = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^## (\d+\.\d+\.\d+)\b", line)
        if m:
            version = m.group(1)
            out[version] = ""
        elif version:
            out[version] += line + "\n"
    return {v: text.strip() for v, text in out.items()}


def releases(pkg: Package) -> tuple[list[Release], str]:
    """Every release, newest first, and a sentence on what could not be compared ("" if everything was)."""
    entries = changelog_entries(pkg)
    # The date of the tagged commit (annotated tags point at it through *), not of the tagging.
    listing = _git(
        pkg, "tag", "--list", "v*", "--format=%(refname:short) %(*committerdate:short) %(committerdate:short)"
    )
    shallow = (_git(pkg, "rev-parse", "--is-shallow-repository") or "").strip() == "true"
    tags = []
    for line in (listing or "").splitlines():
        name, *days = line.split()
        day = days[0] if days else ""
        if TAG.match(name):
            tags.append((tuple(int(x) for x in TAG.match(name).groups()), name, day))
    tags.sort()
    out = []
    for i, (_, name, day) in enumerate(tags):
        r = Release(name[1:], name, day, entries.get(name[1:], ""))
        if i:
            r.compared_to = tags[i - 1][1]
            try:
                r.diffs = diff(pkg, r.compared_to, name)
            except ValueError as e:
                r.problem = f"could not compare {r.compared_to} with {name}: {e}"
        out.append(r)
    problem = ""
    if listing is None:
        problem = "This copy of the project has no git history, so the releases could not be compared."
    elif not tags:
        problem = (
            "This copy of the project has no release tags"
            + (" (a shallow clone)" if shallow else "")
            + ", so the releases could not be compared; the changelog's entries are shown as written."
        )
    if tags:
        try:
            pending = diff(pkg, tags[-1][1])
        except ValueError as e:
            pending, problem = [], f"could not compare the data with {tags[-1][1]}: {e}"
        if any(not d.empty() for d in pending):
            version = pkg.version if pkg.version != tags[-1][1][1:] else ""
            out.append(Release(version or UNRELEASED, "", "", entries.get(version, ""), pending, tags[-1][1]))
    known = {r.version for r in out}
    for version, text in entries.items():  # entries whose tag this copy lacks
        if version not in known:
            out.append(Release(version, "", "", text, problem="no tag for this release in this copy"))
    out.sort(key=_order, reverse=True)
    return out, problem


def _order(r: Release) -> tuple:
    """Releases in version order, the changes not yet released last (several releases may share a day)."""
    return tuple(int(x) for x in r.version.split(".")) if TAG.match("v" + r.version) else (9999,)


def partner_changes(pkg: Package, found: list[Release], partner_of: dict[str, dict[str, str]]) -> dict[str, str]:
    """For each partner, the newest release in which rows of its own were added, removed or changed.
    partner_of: resource -> row id -> partner_id (the current rows; removed rows are looked up in the
    release's diff as well)."""
    latest: dict[str, str] = {}
    for r in sorted(found, key=_order):
        for d in r.diffs:
            ids = {*d.added, *d.removed, *d.changed}
            for rid in ids:
                pid = partner_of.get(d.name, {}).get(rid)
                if pid:
                    latest[pid] = r.version
    return latest
