"""Export stage: publish the validated package, and only the validated package, in every format
under /data/: CSV, JSON, datapackage.json (schemas inlined), an Excel workbook, a SQLite database,
a ZIP of the package, and a manifest with the size and sha256 of every file.

Outputs are byte-reproducible: fixed ZIP timestamps, no build times, stable ordering.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .package import RESOURCES, Package
from .rules import FORMULA_START

ZIP_TIME = (2025, 1, 1, 0, 0, 0)
SQL_TYPES = {"string": "TEXT", "number": "REAL", "integer": "INTEGER", "date": "TEXT", "boolean": "INTEGER"}


_READ: dict[tuple, tuple] = {}  # (file, size, mtime) -> (header, rows, typed rows): each CSV is read once


def _number(value: str) -> int | float:
    x = float(value)
    return int(x) if x.is_integer() else x


CONVERT = {"number": _number, "integer": int}


def _rows(pkg: Package, name: str) -> tuple[list[str], list[list[str]]]:
    header, rows, _ = _read(pkg, name)
    return header, rows


def _read(pkg: Package, name: str) -> tuple[list[str], list[list[str]], list[list]]:
    """The CSV's header, its rows as text, and its rows typed by the schema (None for missing)."""
    path = pkg.csv_path(name)
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _READ:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        convert = [CONVERT.get(f["type"]) for f in pkg.fields(name)]
        typed = [[None if v == "" else (c(v) if c else v) for c, v in zip(convert, r, strict=False)] for r in rows[1:]]
        _READ.clear() if len(_READ) > 32 else None
        _READ[key] = (rows[0], rows[1:], typed)
    return _READ[key]


def _typed_rows(pkg: Package, name: str) -> tuple[list[str], list[list]]:
    header, _, typed = _read(pkg, name)
    return header, typed


def spreadsheet_safe(value: str) -> str:
    """Defence in depth: validation already rejects formula-leading text, but never emit one."""
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(pkg: Package, name: str, out: Path) -> None:
    header, rows = _rows(pkg, name)
    with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([spreadsheet_safe(v) for v in r])


def write_json(pkg: Package, name: str, out: Path) -> None:
    header, typed = _typed_rows(pkg, name)
    records = [dict(zip(header, r, strict=True)) for r in typed]
    (out / f"{name}.json").write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def published_descriptor(pkg: Package) -> dict:
    """datapackage.json for /data/: the CSVs side by side, schemas inlined so it stands alone."""
    d = json.loads(json.dumps(pkg.descriptor))
    for res in d["resources"]:
        res["path"] = f"{res['name']}.csv"
        res["schema"] = pkg.schemas[res["name"]]
    return d


def write_sqlite(pkg: Package, out: Path) -> None:
    path = out / "tariff-ledger.sqlite"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = ON")
    for name in RESOURCES:  # partners and sources first: the foreign keys point at them
        schema = pkg.schemas[name]
        cols = [
            f'"{f["name"]}" {SQL_TYPES[f["type"]]}' + (" NOT NULL" if f.get("constraints", {}).get("required") else "")
            for f in schema["fields"]
        ]
        cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in schema["primaryKey"]) + ")")
        for fk in schema.get("foreignKeys", []):
            ref = fk["reference"]
            cols.append(
                f'FOREIGN KEY ("{fk["fields"][0]}") REFERENCES "{ref["resource"] or name}" ("{ref["fields"][0]}")'
            )
        con.execute(f'CREATE TABLE "{name}" (\n  ' + ",\n  ".join(cols) + "\n)")
    for name in RESOURCES:
        header, typed = _typed_rows(pkg, name)
        marks = ", ".join("?" for _ in header)
        # Self-references (partners.member_of) may point forward: defer foreign keys within the insert.
        con.execute("PRAGMA defer_foreign_keys = ON")
        con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', typed)
        con.commit()
    con.execute("VACUUM")
    con.close()


def write_excel(pkg: Package, out: Path) -> None:
    """A sheet per resource and a columns sheet, written row by row (openpyxl's write-only mode). Every
    text cell is spreadsheet-safe, so none can start a formula."""
    from openpyxl import Workbook  # imported here: the build makes the workbook while MkDocs runs

    wb = Workbook(write_only=True)
    about = wb.create_sheet("columns")
    about.append(["resource", "column", "type", "required", "allowed values", "description"])
    for name in RESOURCES:
        for f in pkg.fields(name):
            c = f.get("constraints", {})
            about.append(
                [
                    name,
                    f["name"],
                    f["type"],
                    "yes" if c.get("required") else "",
                    ", ".join(c.get("enum", [])),
                    f.get("description", ""),
                ]
            )
    for name in RESOURCES:
        header, typed = _typed_rows(pkg, name)
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        ws.append(header)
        for r in typed:
            ws.append([spreadsheet_safe(v) if isinstance(v, str) else v for v in r])
    wb.properties.creator = "Tariff Ledger"
    wb.properties.created = datetime(2025, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    _rezip(buf.getvalue(), out / "tariff-ledger.xlsx")


def _rezip(data: bytes, dest: Path) -> None:
    """Rewrite a ZIP with fixed timestamps and sorted entries, so the bytes are reproducible."""
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            data = src.read(name)
            if name == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", data)
            dst.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)


ARROW_TYPES = {"string": pa.string(), "number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}


def write_parquet(pkg: Package, name: str, out: Path) -> None:
    """The resource as Parquet, typed from its Table Schema: dates as dates, numbers as numbers, missing
    cells as nulls. The same input gives the same bytes (no timestamps are written)."""
    _, typed = _typed_rows(pkg, name)
    columns, fields = [], []
    for i, f in enumerate(pkg.fields(name)):
        values = [r[i] for r in typed]
        if f["type"] == "date":
            kind = pa.date32()
            values = [None if v is None else date.fromisoformat(v) for v in values]
        else:
            kind = ARROW_TYPES.get(f["type"], pa.string())
            if f["type"] == "number":
                values = [None if v is None else float(v) for v in values]
        fields.append(
            pa.field(
                f["name"],
                kind,
                nullable=not f.get("constraints", {}).get("required", False),
                metadata={"description": f.get("description", "")},
            )
        )
        columns.append(pa.array(values, type=kind))
    table = pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata={"resource": name}))
    pq.write_table(table, out / f"{name}.parquet", compression="zstd", write_statistics=False)


def write_zip(out: Path, files: list[str]) -> None:
    with zipfile.ZipFile(out / "tariff-ledger.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"tariff-ledger/{name}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, (out / name).read_bytes())


def manifest(pkg: Package, out: Path) -> dict:
    files = []
    for p in sorted(out.iterdir()):
        if p.is_file() and p.name not in ("manifest.json", "index.md"):
            data = p.read_bytes()
            files.append({"path": p.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    m = {"name": pkg.descriptor["name"], "version": pkg.version, "data_as_of": pkg.data_as_of, "files": files}
    (out / "manifest.json").write_text(json.dumps(m, indent=2) + "\n", encoding="utf-8")
    return m


PACKAGE_FILES = ("datapackage.json", "tariff-ledger.sqlite", "tariff-ledger.xlsx", "tariff-ledger.zip")


def download_names() -> list[str]:
    """Every file the export makes, in the manifest's order (manifest.json itself apart)."""
    return sorted([f"{n}.{ext}" for n in RESOURCES for ext in ("csv", "json", "parquet")] + list(PACKAGE_FILES))


def make(pkg: Package, work: Path) -> dict:
    """Write every download and the manifest into the folder `work`; return the manifest."""
    work.mkdir(parents=True, exist_ok=True)
    for name in RESOURCES:
        write_csv(pkg, name, work)
        write_json(pkg, name, work)
        write_parquet(pkg, name, work)
    (work / "datapackage.json").write_text(
        json.dumps(published_descriptor(pkg), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_sqlite(pkg, work)
    write_excel(pkg, work)
    write_zip(work, ["datapackage.json"] + [f"{n}.csv" for n in RESOURCES])
    return manifest(pkg, work)


def prune(folder: Path) -> None:
    """Drop every file in `folder` that is neither a download nor the page (index.md or index.html)."""
    keep = {*download_names(), "manifest.json", "index.md", "index.html"}
    for old in folder.iterdir():
        if old.is_file() and old.name not in keep:
            old.unlink()


def install(work: Path, out: Path) -> None:
    """Copy the downloads made in `work` into `out`, only those that changed, each in one atomic step;
    drop any other file there but the page."""
    out.mkdir(parents=True, exist_ok=True)
    prune(out)
    for name in [*download_names(), "manifest.json"]:
        data = (work / name).read_bytes()
        target = out / name
        if target.exists() and target.read_bytes() == data:
            continue
        tmp_target = target.with_name(f".{name}.tmp-{os.getpid()}")
        tmp_target.write_bytes(data)
        tmp_target.replace(target)  # atomic: readers see the old file or the new one


def export(pkg: Package, out: Path) -> dict:
    """Write every download into `out` (the docs dir's data/ folder); return the manifest.

    Files are made aside and then only the changed ones are copied in, so a preview server watching
    the docs dir never sees a half-written database or a missing file."""
    with tempfile.TemporaryDirectory(prefix="tl-export-") as tmp:
        result = make(pkg, Path(tmp))
        install(Path(tmp), out)
        return result
