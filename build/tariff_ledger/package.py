"""The Data Package on disk: where it is, what it declares, and the problems found in it.

Every stage starts here. The Table Schemas in schemas/ are the single description of every column;
this module only reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# In dependency order: a resource comes after the ones its foreign keys point at.
RESOURCES = (
    "partners",
    "sources",
    "tariff_rates",
    "combination_rules",
    "product_lists",
    "product_codes",
    "agreements",
    "pledges",
    "events",
)
DESCRIPTOR = "datapackage.json"


class PackageError(Exception):
    """Raised when the package cannot be read at all; carries the problems found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(p.text() for p in problems))
        self.problems = problems


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the package, located as precisely as the input allows."""

    path: str
    line: int
    column: int
    message: str
    level: str = field(default="error", compare=False)

    def text(self) -> str:
        prefix = "warning: " if self.level == "warning" else ""
        return f"{self.path}:{self.line}:{self.column}: {prefix}{self.message}"

    def github(self) -> str:
        # GitHub Actions workflow command; the message must not contain raw newlines or '%'.
        msg = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{self.level} file={self.path},line={self.line},col={self.column}::{msg}"


@dataclass
class Package:
    """datapackage.json with its schemas resolved, relative to `root`."""

    root: Path
    descriptor: dict
    schemas: dict[str, dict]

    @property
    def data_as_of(self) -> str:
        return str(self.descriptor.get("data_as_of", ""))

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def resource(self, name: str) -> dict:
        return next(r for r in self.descriptor["resources"] if r["name"] == name)

    def csv_path(self, name: str) -> Path:
        return self.root / self.resource(name)["path"]

    def fields(self, name: str) -> list[dict]:
        return self.schemas[name]["fields"]

    def field(self, resource: str, name: str) -> dict:
        return next(f for f in self.fields(resource) if f["name"] == name)

    @property
    def official_kinds(self) -> list[str]:
        """The source kinds that count as official documents (schemas/sources.json, field kind)."""
        return self.field("sources", "kind").get("officialKinds", [])

    def enum_labels(self, resource: str, name: str) -> dict[str, str]:
        f = self.field(resource, name)
        values = f.get("constraints", {}).get("enum", [])
        labels = f.get("enumLabels", {})
        return {v: labels.get(v, v) for v in values}

    def enum_synonyms(self, resource: str, name: str) -> dict[str, list[str]]:
        """Other words for a field's values, for the site's search (a schema's enumSynonyms)."""
        return self.field(resource, name).get("enumSynonyms", {})


def _read_json(root: Path, rel: str) -> tuple[dict | None, list[Problem]]:
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(rel, 1, 1, f"file not found; create {rel} or fix the path that names it")]
    except UnicodeDecodeError as e:
        return None, [Problem(rel, 1, 1, f"not UTF-8 ({e.reason}); save the file as UTF-8")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return None, [Problem(rel, e.lineno, e.colno, f"not valid JSON: {e.msg}; fix the JSON syntax here")]
    if not isinstance(data, dict):
        return None, [Problem(rel, 1, 1, "expected a JSON object at the top level")]
    return data, []


def _locate(path: Path, needle: str) -> tuple[int, int]:
    """Line and column of the first occurrence of `needle` in a file (1, 1 if absent)."""
    text = path.read_text(encoding="utf-8")
    i = text.find(needle)
    if i < 0:
        return 1, 1
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def _safe_relative(value: object, folder: str) -> str | None:
    """Return why `value` is not a safe relative path inside `folder`, or None if it is."""
    if not isinstance(value, str) or not value:
        return "must be a relative path string"
    p = Path(value)
    if p.is_absolute() or value.startswith(("/", "\\")) or ":" in value:
        return "must be a relative path, not an absolute path or URL"
    if ".." in p.parts:
        return "must not contain '..'"
    if len(p.parts) != 2 or p.parts[0] != folder:
        return f"must be a file directly inside {folder}/"
    return None


def open_package(root: Path | str = ".") -> Package:
    """Read datapackage.json and its schemas; raise PackageError naming every metadata problem."""
    root = Path(root)
    descriptor, problems = _read_json(root, DESCRIPTOR)
    if descriptor is None:
        raise PackageError(problems)
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        raise PackageError(
            [Problem(DESCRIPTOR, 1, 1, 'no "resources" list; declare the resources: ' + ", ".join(RESOURCES))]
        )
    names = [r.get("name") if isinstance(r, dict) else None for r in resources]
    for missing in [n for n in RESOURCES if n not in names]:
        problems.append(
            Problem(
                DESCRIPTOR,
                1,
                1,
                f'resource "{missing}" is missing; declare it with '
                f"path datasets/{missing}.csv and schema schemas/{missing}.json",
            )
        )
    schemas: dict[str, dict] = {}
    for res in resources:
        if not isinstance(res, dict) or res.get("name") not in RESOURCES:
            problems.append(
                Problem(
                    DESCRIPTOR,
                    1,
                    1,
                    f"unexpected resource {res!r:.60}; the contract has exactly: {', '.join(RESOURCES)}",
                )
            )
            continue
        name = res["name"]
        for key, folder, ext in (("path", "datasets", ".csv"), ("schema", "schemas", ".json")):
            why = _safe_relative(res.get(key), folder)
            if why is None and res[key] != f"{folder}/{name}{ext}":
                why = f"must be {folder}/{name}{ext} (a resource's name is its file's stem)"
            if why:
                line, col = _locate(root / DESCRIPTOR, json.dumps(res.get(key)))
                problems.append(
                    Problem(
                        DESCRIPTOR,
                        line,
                        col,
                        f'resource "{name}" {key} {res.get(key)!r} {why}; write "{folder}/{name}{ext}"',
                    )
                )
        if not any(p.path == DESCRIPTOR and f'"{name}"' in p.message for p in problems):
            schema, errs = _read_json(root, res["schema"])
            problems += errs
            if schema is not None:
                if not isinstance(schema.get("fields"), list) or not schema["fields"]:
                    problems.append(Problem(res["schema"], 1, 1, 'no "fields" list; describe every column'))
                else:
                    schemas[name] = schema
    if problems:
        raise PackageError(problems)
    return Package(root=root, descriptor=descriptor, schemas=schemas)
