"""Validate stage: the file structure, then Frictionless on the whole package, then the project rules.

Every problem is located as file:line:column (line in the file, counting the header as line 1, so a
quoted cell spanning lines is still found) and says how to fix it. Nothing invalid goes further.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from frictionless import Package as FrictionlessPackage

from . import rules
from .package import DESCRIPTOR, RESOURCES, Package, PackageError, Problem, open_package

# Python's csv module stops at 128 KiB per cell; read longer cells so the schema's maxLength can name them.
csv.field_size_limit(64 * 1024 * 1024)

FIX_BY_TYPE = {
    "date": "write YYYY-MM-DD",
    "number": "write a plain number such as 15 (no %, thousands separators or units)",
    "integer": "write a whole number such as 15",
}
FIX_BY_PATTERN = {
    "^[a-z0-9]+(-[a-z0-9]+)*$": "use a lowercase slug: letters a-z, digits and single hyphens, "
    "e.g. kor-2025-07-25-talks",
    "^[A-Z]{3}$": "use three capital letters: the ISO 3166-1 alpha-3 code, EUU for the EU or WLD for all partners",
    "^[a-z]{2}$": "use a two-letter lowercase ISO 639-1 code such as en or ko",
    "^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?)?$": "write the HTS code as digits only, "
    "2, 4, 6, 8 or 10 of them, "
    "without dots or spaces (7208.10 is 720810)",
}


@dataclass
class Table:
    """A CSV file parsed just enough to locate things: header, rows as dicts, and their line numbers."""

    name: str
    path: str
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]  # lines[i] is the line on which data row i starts
    _columns: dict = field(default_factory=dict, repr=False)

    def column(self, field: str) -> int:
        return self.header.index(field) + 1 if field in self.header else 1

    def column_values(self, field: str) -> list[str]:
        """Every row's cell in one column (the rules scan a column at once rather than cell by cell)."""
        if field not in self._columns:
            self._columns[field] = [r[field] for r in self.rows]
        return self._columns[field]


def read_table(pkg: Package, name: str) -> tuple[Table | None, list[Problem]]:
    """Parse one CSV strictly; return the table or the structural problems that stop validation."""
    rel = pkg.resource(name)["path"]
    expected = [f["name"] for f in pkg.fields(name)]
    try:
        raw = pkg.csv_path(name).read_bytes()
    except FileNotFoundError:
        return None, [Problem(rel, 1, 1, f"file not found; create it with the header row: {','.join(expected)}")]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        return None, [Problem(rel, 1, 1, "file is UTF-16 or binary; save it as UTF-8 (CSV UTF-8)")]
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark is harmless: accept it
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        # e.start counts bytes: find its line in the bytes, then its column in that line's characters
        # (earlier non-ASCII text on the line takes several bytes per character).
        line = raw.count(b"\n", 0, e.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8", errors="replace")) + 1
        return None, [
            Problem(
                rel,
                line,
                col,
                f"byte 0x{raw[e.start]:02x} is not UTF-8 (is the file Latin-1 "
                "or Windows-1252?); save the file as UTF-8",
            )
        ]
    if not text.strip():
        return None, [Problem(rel, 1, 1, f"file is empty; it needs the header row: {','.join(expected)}")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        parsed = list(reader)  # one C-speed pass; line numbers are worked out below
    except csv.Error:
        # Parse again record by record, only to name the line where the broken quote opens.
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        parsed = None
    if parsed is not None and text.count("\n") - text.endswith("\n") == len(parsed) - 1:
        records = list(zip(range(1, len(parsed) + 1), parsed, strict=True))  # one line per record
    else:
        try:
            for cells in parsed if parsed is not None else reader:
                records.append((start, cells))
                start = start + 1 + sum(c.count("\n") for c in cells) if parsed is not None else reader.line_num + 1
        except csv.Error as e:
            return None, [
                Problem(
                    rel,
                    start,
                    1,
                    f"malformed CSV ({e}): a quote opened on this line is never "
                    'closed; close it, and double any quote inside a cell ("")',
                )
            ]
    header = records[0][1]
    for i, label in enumerate(header, 1):
        if label == "":
            problems.append(Problem(rel, 1, i, "blank column header; name the column or delete it"))
        elif header.index(label) != i - 1:
            problems.append(Problem(rel, 1, i, f'column "{label}" appears twice; delete the duplicate'))
        elif label not in expected:
            problems.append(
                Problem(
                    rel,
                    1,
                    i,
                    f'column "{label}" is not in {pkg.resource(name)["schema"]}; '
                    "remove it or describe it in the schema first",
                )
            )
    for i, label in enumerate(expected, 1):
        if label not in header:
            problems.append(
                Problem(
                    rel,
                    1,
                    min(i, len(header) + 1),
                    f'column "{label}" is missing; add it (the header must be: {",".join(expected)})',
                )
            )
    if not problems and header != expected:
        problems.append(Problem(rel, 1, 1, f"columns are out of order; the header must be: {','.join(expected)}"))
    rows, lines = [], []
    for line, cells in records[1:]:
        if not cells:
            problems.append(Problem(rel, line, 1, "blank line; delete it"))
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(
                    rel,
                    line,
                    min(len(cells), len(header)) + 1,
                    f"row has {len(cells)} cells but the header has {len(header)}; "
                    "check for a missing or extra comma, and quote cells that contain commas",
                )
            )
            continue
        rows.append(dict(zip(header, cells, strict=False)))
        lines.append(line)
    if not records[1:]:
        problems.append(Problem(rel, 1, 1, "the file has a header but no rows; add at least one row"))
    if problems:
        return None, problems
    return Table(name, rel, header, rows, lines), []


def _line(table: Table, row_number: int | None) -> int:
    # Frictionless counts records with the header as 1; map to the record's first line in the file.
    if not row_number or row_number < 2 or row_number - 2 >= len(table.lines):
        return 1
    return table.lines[row_number - 2]


def _message(pkg: Package, table: Table, err) -> tuple[int, str]:
    """Column number and message (with the fix) for one Frictionless error."""
    kind, field_name = err.type, getattr(err, "field_name", None)
    cell = getattr(err, "cell", "")
    col = getattr(err, "field_number", None) or 1
    if kind == "type-error":
        ftype = pkg.field(table.name, field_name)["type"]
        noun = {"date": "a valid date", "number": "a number", "integer": "a whole number"}.get(ftype, ftype)
        return col, f'{field_name} "{cell}" is not {noun}; {FIX_BY_TYPE.get(ftype, "fix the value")}'
    if kind == "constraint-error":
        constraint = re.match(r'constraint "(\w+)"', err.note or "")
        constraint = constraint.group(1) if constraint else ""
        f = pkg.field(table.name, field_name)
        c = f.get("constraints", {})
        if constraint == "required":
            return col, f"{field_name} is required; fill it in ({f.get('description', '')})"
        if constraint == "enum":
            return col, f'{field_name} "{cell}" is not an allowed value; use one of: {", ".join(c["enum"])}'
        if constraint == "pattern":
            if c["pattern"].startswith("^https://"):
                return col, f'{field_name} "{cell}" is not an https URL; write the full https:// address'
            return (
                col,
                f'{field_name} "{cell}" is not valid; {FIX_BY_PATTERN.get(c["pattern"], "match " + c["pattern"])}',
            )
        if constraint in ("minimum", "maximum") and str(cell).lower() in ("nan", "-nan"):
            return col, f'{field_name} "{cell}" is not a number; write a plain number such as 15'
        if constraint in ("minimum", "maximum"):
            return (
                col,
                f"{field_name} {cell} is out of range; it must be between {c.get('minimum', '-')} and "
                f"{c.get('maximum', '-')}",
            )
        if constraint == "maxLength":
            return col, f"{field_name} is {len(str(cell))} characters long; shorten it to {c['maxLength']} or fewer"
        return col, f'{field_name} "{cell}" breaks the {constraint} constraint; fix the value'
    if kind in ("unique-error", "primary-key"):
        first = re.search(r"position (\d+)", err.note or "")
        where = f" (first used on line {_line(table, int(first.group(1)))})" if first else ""
        keys = pkg.schemas[table.name]["primaryKey"]
        if kind == "primary-key" and len(keys) > 1 and err.row_number:  # a pair (or more) is the key
            row = table.rows[err.row_number - 2]
            pair = " with ".join(f'{k} "{row.get(k, "")}"' for k in keys)
            return table.column(keys[0]), f"{pair} is listed twice{where}; remove the repeated row"
        key = field_name or keys[0]
        value = cell or table.rows[err.row_number - 2].get(key, "") if err.row_number else cell
        return table.column(key), f'{key} "{value}" is used twice{where}; give each row its own id'
    if kind == "foreign-key":
        fname, value = err.field_names[0], err.field_cells[0]
        target = pkg.resource(err.reference_name)["path"]
        return table.column(fname), (
            f'{fname} "{value}" is not in {target}; add it there first or use an '
            f"existing {err.reference_field_names[0]}"
        )
    return col, f"{err.message}; fix the file"


ERROR_FIELDS = (
    "type",
    "note",
    "message",
    "row_number",
    "field_number",
    "field_name",
    "cell",
    "field_names",
    "field_cells",
    "reference_name",
    "reference_field_names",
)


def frictionless_report(descriptor: str, only=None) -> tuple[list[str], list[tuple[str, dict]]]:
    """Run the real Frictionless validator; return its errors as plain data (it may run in a worker).
    only: check just these resources (each with its foreign keys into the others), not the package."""
    if only is None:
        reports = [FrictionlessPackage(descriptor).validate()]
    else:
        package = FrictionlessPackage(descriptor)
        reports = [package.get_resource(name).validate() for name in sorted(only)]
    found = [
        (task.name, {k: getattr(e, k, None) for k in ERROR_FIELDS})
        for report in reports
        for task in report.tasks
        for e in task.errors
    ]
    return [e.message for report in reports for e in report.errors], found


def frictionless_problems(pkg: Package, tables: dict[str, Table], report=None) -> list[Problem]:
    package_errors, found = report or frictionless_report(str(pkg.root / DESCRIPTOR))
    problems = [Problem(DESCRIPTOR, 1, 1, f"{message}; fix datapackage.json") for message in package_errors]
    for name, fields in found:
        table, err = tables[name], SimpleNamespace(**fields)
        if err.type == "primary-key" and len(pkg.schemas[table.name].get("primaryKey", [])) == 1:
            continue  # the unique-error on the same cell says it with the column
        col, msg = _message(pkg, table, err)
        problems.append(Problem(table.path, _line(table, err.row_number), col, msg))
    return problems


def validate(root=".", meanwhile=None, only=None) -> list[Problem]:
    """Every problem in the package at `root`, errors and warnings, sorted by place. `meanwhile(pkg)`, if
    given, runs while Frictionless is still checking (the pipeline derives its views there, to be thrown
    away if the package turns out invalid); its result or exception is kept in `validate.meanwhile`.
    only: the resources Frictionless needs to check (the preview server's, after an edit: those changed
    since the last valid run and those whose foreign keys point at them); None checks the package."""
    validate.meanwhile = None
    try:
        pkg = open_package(root)
    except PackageError as e:
        return sorted(set(e.problems))
    tables, problems = {}, []
    for name in RESOURCES:
        table, errs = read_table(pkg, name)
        problems += errs
        if table:
            tables[name] = table
    if problems:  # Frictionless would only repeat the structural damage in confusing ways
        return sorted(set(problems))

    def rules_then_meanwhile() -> list[Problem]:
        found = rules.check(pkg, tables)
        if meanwhile is not None and not errors(found):
            try:
                validate.meanwhile = meanwhile(pkg)
            except Exception as e:  # invalid data can break what assumed it valid; Frictionless says why
                validate.meanwhile = e
        return found

    # Frictionless and the project rules are independent: run Frictionless in a second process (on
    # Linux, a fork that already has everything imported) while the rules run here.
    descriptor = str(pkg.root / DESCRIPTOR)
    if "fork" in multiprocessing.get_all_start_methods():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            pending = pool.submit(frictionless_report, descriptor, only)
            rule_problems = rules_then_meanwhile()
            report = pending.result()
    else:
        report, rule_problems = frictionless_report(descriptor, only), rules_then_meanwhile()
    problems += frictionless_problems(pkg, tables, report)
    # One message per cell: a rule does not repeat a cell Frictionless already rejected.
    taken = {(p.path, p.line, p.column) for p in problems}
    problems += [p for p in rule_problems if (p.path, p.line, p.column) not in taken]
    return sorted(set(problems))


def fingerprints(root) -> dict[str, str]:
    """A hash of each resource's CSV and schema, and of the descriptor ("" key): what a preview compares
    with its last valid run to know what Frictionless must check again."""
    root = Path(root)
    descriptor = root / DESCRIPTOR
    out = {"": hashlib.sha256(descriptor.read_bytes()).hexdigest()}
    for r in json.loads(descriptor.read_text(encoding="utf-8")).get("resources", []):
        h = hashlib.sha256()
        for rel in (r.get("path"), r.get("schema")):
            if isinstance(rel, str) and (root / rel).is_file():
                h.update((root / rel).read_bytes())
        out[r.get("name", "")] = h.hexdigest()
    return out


def to_check(pkg: Package, before: dict[str, str] | None, now: dict[str, str]) -> set[str] | None:
    """The resources whose files changed since `before` (the fingerprints of a valid run) and those whose
    foreign keys point at one of them; None (check everything) if there is no valid run to compare with
    or the descriptor changed."""
    if not before or before.get("") != now.get(""):
        return None
    changed = {name for name in RESOURCES if before.get(name) != now.get(name)}
    pointing = {
        name
        for name in RESOURCES
        for fk in pkg.schemas[name].get("foreignKeys", [])
        if (fk["reference"].get("resource") or name) in changed
    }
    return changed | pointing


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]


def validated_package(root=".") -> Package:
    """Open the package if it is valid; raise PackageError with every error otherwise."""
    problems = validate(root)
    if errors(problems):
        raise PackageError(problems)
    return open_package(root)


def validated_then(root, then, only=None):
    """then(pkg) on the package if it is valid, computed while Frictionless checks it; raise
    PackageError with every error otherwise. only: as for validate()."""
    problems = validate(root, meanwhile=then, only=only)
    if errors(problems):
        raise PackageError(problems)
    result = validate.meanwhile
    if isinstance(result, Exception):
        raise result
    return result if result is not None else then(open_package(root))
