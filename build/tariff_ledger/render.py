"""Render stage: Jinja2 templates (one per page type) write Markdown pages into the docs dir.

Every value from the data reaches a page through Jinja2's autoescaping, inside an HTML block, so a
cell can never become markup: Markdown is not parsed inside HTML blocks, and newlines become <br>.
The templates only lay out what this module hands them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import charts, derive
from .coverage import coverage
from .derive import Views
from .tables import TableBuilder, fmt_date, fmt_num, nl2br

# Long lists are split into pages of this many rows (no page may exceed 1 MB; at today's size only the
# timeline comes near); a partner page shows at most PARTNER_CAP rows per section and links to the rest.
PER_PAGE = 400
SECTION_TITLES = {
    "layers": "all tariff layers",
    "events": "all events",
    "pledges": "all pledges",
    "agreements": "all agreements",
}
PARTNER_CAP = 100

# Partner page -> fingerprint of what it showed, for this process (the preview server re-renders only
# the partner pages whose data changed).
_RENDERED: dict[Path, str] = {}
_SECTIONS: dict[tuple[Path, str], tuple[str, set[Path]]] = {}

# Paths under the docs dir that this stage owns: cleared and rewritten on every build, never committed.
GENERATED = (
    "index.md",
    "partners",
    "rates",
    "timeline",
    "pledges",
    "agreements",
    "sources",
    "coverage",
    "assets/generated",
)
CHART_START = pd.Timestamp("2025-01-01")
EDITS = {
    "partner.md.j2": "datasets",
    "partners.md.j2": "datasets/partners.csv",
    "home.md.j2": "datasets",
    "timeline.md.j2": "datasets/events.csv",
    "rates.md.j2": "datasets/tariff_rates.csv",
    "pledges.md.j2": "datasets/pledges.csv",
    "agreements.md.j2": "datasets/agreements.csv",
    "sources.md.j2": "datasets/sources.csv",
    "data.md.j2": "schemas",
    "coverage.md.j2": "datasets",
}


def repo_blob(pkg, path: str) -> str:
    return f"{pkg.descriptor.get('repository', '').rstrip('/')}/blob/main/{path}"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("tariff_ledger", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(nl2br=nl2br, date=fmt_date, num=fmt_num)
    return env


class Renderer(TableBuilder):
    def __init__(self, views: Views, docs_dir: Path):
        self.v, self.docs, self.env, self.base = views, docs_dir, _env(), ""
        self.written: set[Path] = set()
        t = views.tables
        self.source_records = {r["source_id"]: r for r in t["sources"].to_dict("records")}
        self.table_hash = {
            name: hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
            for name, df in t.items()
        }
        # Each partner's rows as plain tuples, and the sources they cite: what a page's fingerprint covers.
        self.row_tuples: dict[str, dict[str, list]] = {}
        self.cited: dict[str, dict[str, set]] = {}
        for name in ("tariff_rates", "events", "agreements", "pledges"):
            df = t[name]
            self.row_tuples[name], self.cited[name] = {}, {}
            for row, pid, s1, s2 in zip(
                df.itertuples(index=False, name=None),
                df["partner_id"],
                df["source_id"],
                df["second_source_id"],
                strict=True,
            ):
                self.row_tuples[name].setdefault(pid, []).append(row)
                self.cited[name].setdefault(pid, set()).update((s1, s2))
        # Each partner's rows, grouped once rather than filtered per page.
        self.by_partner = {
            name: dict(tuple(t[name].groupby("partner_id", sort=False)))
            for name in ("tariff_rates", "events", "agreements", "pledges")
        }
        self.partner_names = t["partners"].set_index("partner_id")["name"].to_dict()
        self.labels = {
            (res, f["name"]): views.pkg.enum_labels(res, f["name"])
            for res in views.pkg.schemas
            for f in views.pkg.fields(res)
            if "enum" in f.get("constraints", {})
        }

    def at(self, rel: str) -> str:
        """Start a page: links are relative to it (the site may be served under a sub-path)."""
        self.base = "../" * rel.count("/")
        return rel

    def paged(self, rel_dir: str, rows: pd.DataFrame, per_page: int = PER_PAGE):
        """Split rows into pages: rel_dir/index.md, rel_dir/2/index.md, ... Yields (rel, chunk, pager)."""
        count = max(1, -(-len(rows) // per_page))
        for k in range(1, count + 1):
            rel = f"{rel_dir}/index.md" if k == 1 else f"{rel_dir}/{k}/index.md"
            self.at(rel)
            up = "" if k == 1 else "../"
            links = [
                (j, up if j == 1 else f"{up}{j}/") if k != 1 else (j, "./" if j == 1 else f"{j}/")
                for j in range(1, count + 1)
            ]
            pager = {
                "number": k,
                "count": count,
                "total": len(rows),
                "links": links,
                "first": (k - 1) * per_page + 1,
                "last": min(k * per_page, len(rows)),
            }
            yield rel, rows.iloc[(k - 1) * per_page : k * per_page], pager

    def write(self, rel: str, template: str, **context) -> None:
        # The page's edit button opens the CSV behind it (the page itself is generated).
        edited = EDITS.get(template, "")
        repo = self.v.pkg.descriptor.get("repository", "").rstrip("/")
        context.setdefault(
            "edit_url", f"{repo}/edit/main/{edited}" if edited.endswith(".csv") else f"{repo}/tree/main/{edited}"
        )
        context.setdefault("pager", None)
        page = self.env.get_template(template).render(
            pkg=self.v.pkg, as_of=self.v.as_of, version=self.v.pkg.version, base=self.base, **context
        )
        self.written.add(write_if_changed(self.docs / rel, page.encode("utf-8")))

    # -- tables --------------------------------------------------------------------------------------
    # -- pages ---------------------------------------------------------------------------------------
    def partner_chart(self, pid: str, name: str) -> tuple[str, str]:
        series: dict[str, list] = {}
        for s in self.v.by_partner.get(pid, []):
            r = self.v.rate_records[s.rate_id]
            if pd.isna(r["rate_pct"]) or s.until <= CHART_START:
                continue  # no line to draw: no single rate (de minimis), or over before the chart begins
            label = f"{self.label('tariff_rates', 'authority', r['authority'])}: {r['product_scope']}"
            if r["rate_basis"] != "additional":
                label += f" ({r['rate_basis']})"
            series.setdefault(label, []).append((s.start, s.until, r["rate_pct"]))
        if not series:
            return "", ""
        ordered = [{"label": k, "points": sorted(v)} for k, v in sorted(series.items())]
        end = self.v.as_of + pd.Timedelta(days=30)
        svg = charts.inline(charts.step_chart(ordered, CHART_START, end), f"chart-{pid.lower()}")
        alt = "; ".join(
            f"{s['label']}: " + ", ".join(f"{fmt_num(v)}% from {fmt_date(a)}" for a, _b, v in s["points"])
            for s in ordered
        )
        return svg, f"Tariff layers applying to {name} over time. {alt}."

    def partner_summary(self, p: dict) -> list[str]:
        """Plain sentences about where the partner stands, from the derived figures only."""
        out = []
        now = derive.in_force(self.v, p["partner_id"], self.v.as_of)
        if now:
            layers = "; ".join(
                (
                    "a measure with no single rate"
                    if pd.isna(r["rate_pct"])
                    else f"{fmt_num(r['rate_pct'], '%')} "
                    f"{self.label('tariff_rates', 'rate_basis', r['rate_basis']).lower()}"
                )
                + f" ({self.label('tariff_rates', 'authority', r['authority'])}, {r['product_scope']})"
                for r in now
            )
            out.append(f"On {self.v.as_of:%-d %B %Y} these enacted layers applied: {layers}.")
        else:
            out.append(f"No enacted layer in this record applied on {self.v.as_of:%-d %B %Y}.")
        if p["rate_april"] is not None and not pd.isna(p["rate_april"]):
            out.append(f"On 2 April 2025 the US announced a reciprocal rate of {fmt_num(p['rate_april'])}%.")
        if p["threatened_max"] is not None and not pd.isna(p["threatened_max"]):
            out.append(f"The highest all-goods rate threatened was {fmt_num(p['threatened_max'])}%.")
        if p["deal"]:
            out.append(
                f"Latest agreement: {p['deal']} ({self.label('agreements', 'status', p['deal_status']).lower()})."
            )
        if p["pledged_usd_bn"] is not None and not pd.isna(p["pledged_usd_bn"]):
            out.append(f"Pledges recorded: US${fmt_num(p['pledged_usd_bn'])} billion in all (see caveats below).")
        return out

    def rows_of(self, resource: str, *partner_ids: str) -> pd.DataFrame:
        groups = self.by_partner[resource]
        parts = [groups[p] for p in partner_ids if p in groups]
        return pd.concat(parts) if parts else self.v.tables[resource].iloc[0:0]

    def fingerprint(self, p: dict) -> str:
        """Everything a partner page shows, hashed: an unchanged partner's page is not re-rendered."""
        pid = p["partner_id"]
        owners = sorted({pid, p["member_of"]} - {""})
        rows = [r for res in self.row_tuples for o in owners for r in self.row_tuples[res].get(o, [])]
        segs = self.v.by_partner.get(pid, [])
        cited = sorted({c for res in self.row_tuples for o in owners for c in self.cited[res].get(o, ())} - {""})
        parts = [
            repr(sorted(p.items())),
            str(self.v.as_of),
            self.v.pkg.version,
            repr(rows),
            repr([(s.rate_id, s.start, s.until, s.via) for s in segs]),
            repr([self.v.rate_records[s.rate_id] for s in segs]),
            repr([self.source_records[c] for c in cited]),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def partner_page(self, p: dict) -> None:
        t, pid = self.v.tables, p["partner_id"]
        rel = f"partners/{pid.lower()}/index.md"
        key = self.fingerprint(p)
        if _RENDERED.get(self.docs / rel) == key and (self.docs / rel).exists():
            self.written.add(self.docs / rel)  # unchanged since the last render in this process
            return
        _RENDERED[self.docs / rel] = key
        own = self.rows_of("tariff_rates", pid).sort_values(["effective_from", "announced_on", "rate_id"])
        inherited_ids = {s.rate_id for s in self.v.by_partner.get(pid, []) if s.via != pid}
        inherited = self.rows_of("tariff_rates", *({p["member_of"], "WLD"} - {"", pid}))
        inherited = inherited[inherited["rate_id"].isin(inherited_ids)].sort_values(
            ["partner_id", "effective_from", "rate_id"]
        )
        more = {}  # section -> (count, link) where the partner page shows only the first PARTNER_CAP rows
        events = self.rows_of("events", pid).sort_values(["date", "event_id"], ascending=[False, True])
        agreements = self.rows_of("agreements", pid)
        if p["member_of"]:  # an EU member's page shows its own agreements and links to the EU's
            bloc = self.rows_of("agreements", p["member_of"])
            agreements = pd.concat([agreements, bloc.head(max(0, PARTNER_CAP - len(agreements)))])
            if len(bloc) > PARTNER_CAP:
                more["agreements"] = (len(bloc), f"../{p['member_of'].lower()}/agreements/")
        pledges = self.rows_of("pledges", pid)
        cited = pd.concat(
            [df["source_id"] for df in (own, events, agreements, pledges)]
            + [df["second_source_id"] for df in (own, events, agreements, pledges)]
        )
        sources = t["sources"][t["sources"]["source_id"].isin(set(cited))].sort_values(["published_on", "source_id"])
        slug = pid.lower()
        if len(inherited) > PARTNER_CAP:
            # Inherited rows are the EU's and the all-partner rows: listed in full on their own pages,
            # not copied onto every partner's.
            owner = p["member_of"] or "WLD"
            more["inherited"] = (len(inherited), f"../{owner.lower()}/" + ("layers/" if owner == "WLD" else ""))
        if len(sources) > PARTNER_CAP:  # every source is on the Sources pages; no copy per partner
            more["sources"] = (len(sources), "../../sources/")
        for section, rows, make in (
            ("layers", own, self.rates_table),
            ("events", events, None),
            ("pledges", pledges, self.pledges_table),
            ("agreements", agreements, self.agreements_table),
        ):
            if len(rows) > PARTNER_CAP and section not in more:
                more[section] = (len(rows), f"{section}/")
                self.list_pages(
                    f"partners/{slug}/{section}",
                    rows,
                    f"{p['name']}: {SECTION_TITLES[section]}",
                    make,
                    f"partners/{slug}/",
                    p["name"],
                )
        self.at(rel)
        svg, alt = self.partner_chart(pid, p["name"])
        members = t["partners"][t["partners"]["member_of"] == pid][["partner_id", "name"]]
        cap = PARTNER_CAP
        self.write(
            rel,
            "partner.md.j2",
            p=p,
            svg=Markup(svg),
            chart_alt=alt,
            summary=self.partner_summary(p),
            own=self.rates_table(own.head(cap)),
            inherited=self.rates_table(inherited.head(cap), True),
            agreements=self.agreements_table(agreements.head(cap)),
            pledges=self.pledges_table(pledges.head(cap)),
            events=self.events_list(events.head(cap)),
            sources=sources.head(cap).to_dict("records"),
            more=more,
            cap=PARTNER_CAP,
            members=members.to_dict("records"),
            edit={n: repo_blob(self.v.pkg, f"datasets/{n}.csv") for n in self.v.pkg.schemas},
            region=self.label("partners", "region", p["region"]),
        )

    def list_pages(self, rel_dir: str, rows: pd.DataFrame, title: str, make, back: str, back_label: str) -> None:
        """A long list over as many pages as it needs: a table from `make`, or events when make is None."""
        for rel, chunk, pager in self.paged(rel_dir, rows):
            context = {"table": make(chunk)} if make else {"events": self.events_list(chunk)}
            self.write(
                rel, "list.md.j2", title=title, pager=pager, back=self.base + back, back_label=back_label, **context
            )

    def section(self, name: str, deps: tuple[str, ...], draw) -> None:
        """Draw a group of pages unless the resources it depends on are unchanged since the last render
        in this process (the preview server's re-render after a one-cell edit)."""
        key = hashlib.sha256(
            repr([self.v.pkg.version, str(self.v.as_of)] + [self.table_hash[d] for d in deps]).encode()
        ).hexdigest()
        cached = _SECTIONS.get((self.docs, name))
        if cached and cached[0] == key and all(p.exists() for p in cached[1]):
            self.written |= cached[1]
            return
        before = set(self.written)
        draw()
        _SECTIONS[(self.docs, name)] = (key, self.written - before)

    def render_all(self) -> None:
        v = self.v
        order = v.partners["kind"].map({"all": 0, "bloc": 1}).fillna(2)
        partners = v.partners.assign(_order=order).sort_values(["_order", "name"])
        for p in partners.to_dict("records"):
            self.partner_page(p)
        everything = tuple(self.table_hash)
        self.section(
            "partners",
            everything,
            lambda: self.write(self.at("partners/index.md"), "partners.md.j2", partners=self.partners_table(partners)),
        )
        self.section("home", everything, self.home_page)
        self.section("timeline", ("events", "partners", "sources"), self.timeline_pages)
        self.section("rates", ("tariff_rates", "partners", "sources"), self.rates_pages)
        self.section("pledges", ("pledges", "partners", "sources"), self.pledges_pages)
        self.section("agreements", ("agreements", "partners", "sources"), self.agreements_pages)
        self.section(
            "coverage", everything, lambda: self.write(self.at("coverage/index.md"), "coverage.md.j2", c=coverage(v))
        )
        self.section("sources", ("sources",), self.sources_pages)

    def newest_events(self) -> pd.DataFrame:
        return self.v.tables["events"].sort_values(["date", "event_id"], ascending=[False, True])

    def home_page(self) -> None:
        _, by_category = derive.pledge_totals(self.v)
        self.write(
            self.at("index.md"),
            "home.md.j2",
            figures=self.home_figures(by_category),
            latest=self.events_list(self.newest_events().head(10)),
            headline=self.headline_table(),
        )

    def timeline_pages(self) -> None:
        t = self.v.tables
        event_partners = sorted({(e, self.partner_names[e]) for e in t["events"]["partner_id"]}, key=lambda x: x[1])
        for rel, chunk, pager in self.paged("timeline", self.newest_events()):
            self.write(
                rel,
                "timeline.md.j2",
                months=[(m, self.events_list(g)) for m, g in derive.timeline(chunk)],
                count=len(t["events"]),
                partners=event_partners,
                kinds=self.v.pkg.enum_labels("events", "kind"),
                pager=pager,
            )

    def rates_pages(self) -> None:
        rates = self.v.tables["tariff_rates"]
        s232 = rates[rates["authority"] == "section-232"].sort_values(["product_scope", "partner_id", "effective_from"])
        if len(s232) > PER_PAGE:
            self.list_pages(
                "rates/section-232",
                s232,
                "Section 232 sector tariffs and carve-outs",
                lambda df: self.rates_table(df, True),
                "rates/",
                "Rates",
            )
        self.write(
            self.at("rates/index.md"),
            "rates.md.j2",
            matrix=self.matrix_table(),
            sector=self.rates_table(s232.head(PER_PAGE), True),
            sector_total=len(s232),
            partners=sorted(self.partner_names.items(), key=lambda x: x[1]),
        )
        self.write_segments_json()

    def pledges_pages(self) -> None:
        by_partner, by_category = derive.pledge_totals(self.v)
        chart = ""
        if by_category["amount_usd_bn"].sum() > 0:
            chart = charts.bar_chart(
                [self.label("pledges", "category", c) for c in by_category["category"]],
                list(by_category["amount_usd_bn"]),
                "chart-pledges",
                "US$ billions pledged",
            )
        all_pledges = self.v.tables["pledges"].sort_values(["partner_id", "announced_on", "pledge_id"])
        if len(all_pledges) > PER_PAGE:
            self.list_pages("pledges/all", all_pledges, "Every pledge", self.pledges_table, "pledges/", "Pledges")
        rel = self.at("pledges/index.md")
        table = self.pledges_table(all_pledges.head(PER_PAGE))
        table.table_id = "pledges"
        self.write(
            rel,
            "pledges.md.j2",
            table=table,
            total=len(all_pledges),
            by_partner=by_partner.to_dict("records"),
            svg=Markup(chart),
            by_category=[
                {**r, "label": self.label("pledges", "category", r["category"])} for r in by_category.to_dict("records")
            ],
        )

    def agreements_pages(self) -> None:
        agreements = self.v.tables["agreements"].sort_values(["announced_on", "agreement_id"], ascending=[False, True])
        for rel, chunk, pager in self.paged("agreements", agreements):
            self.write(rel, "agreements.md.j2", table=self.agreements_table(chunk), pager=pager)

    def sources_pages(self) -> None:
        sources = self.v.tables["sources"].sort_values(["published_on", "source_id"], ascending=[False, True])
        for rel, chunk, pager in self.paged("sources", sources):
            self.write(
                rel,
                "sources.md.j2",
                total=len(sources),
                pager=pager,
                sources=[
                    {**s, "kind_label": self.label("sources", "kind", s["kind"])} for s in chunk.to_dict("records")
                ],
            )

    def home_figures(self, by_category: pd.DataFrame) -> dict:
        t = self.v.tables
        return {
            "partners": int((t["partners"]["kind"] != "all").sum()),
            "rates": len(t["tariff_rates"]),
            "agreements": len(t["agreements"]),
            "events": len(t["events"]),
            "sources": len(t["sources"]),
            "pledged": [
                {"label": self.label("pledges", "category", r.category), "amount": r.amount_usd_bn}
                for r in by_category.itertuples()
            ],
        }

    def write_segments_json(self) -> None:
        """The date picker's data, one file per partner (loaded on demand): its resolved segments and
        the rate rows they refer to."""

        def rate(rid: str) -> dict:
            r = self.v.rate_records[rid]
            src = self.source_records[r["source_id"]]
            return {
                "authority": self.label("tariff_rates", "authority", r["authority"]),
                "scope": r["product_scope"],
                "rate": None if pd.isna(r["rate_pct"]) else r["rate_pct"],
                "basis": self.label("tariff_rates", "rate_basis", r["rate_basis"]),
                "instrument": r["legal_instrument"],
                "source": src["url"],
                "source_title": src["title"],
            }

        def dump(payload) -> bytes:
            return json.dumps(
                payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
            ).encode("utf-8")

        folder = self.docs / "assets/generated/segments"
        index = {"data_as_of": fmt_date(self.v.as_of), "partners": self.partner_names}
        self.written.add(write_if_changed(folder / "index.json", dump(index)))
        for pid in self.partner_names:
            segs = self.v.by_partner.get(pid, [])
            payload = {
                "rates": {s.rate_id: rate(s.rate_id) for s in segs},
                "segments": [
                    [
                        pid,
                        s.rate_id,
                        fmt_date(s.start),
                        None if s.until == derive.END_OF_TIME else fmt_date(s.until),
                        s.via,
                    ]
                    for s in segs
                ],
            }
            self.written.add(write_if_changed(folder / f"{pid}.json", dump(payload)))


def write_if_changed(path: Path, data: bytes) -> Path:
    """Write only what changed, so the preview server (mkdocs serve --dirty) rebuilds only those pages."""
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def remove_stale(docs_dir: Path, keep: set[Path]) -> None:
    """Delete generated files this run did not write (a partner removed from the data, say)."""
    for rel in GENERATED:
        p = docs_dir / rel
        files = [p] if p.is_file() else sorted(p.rglob("*"), reverse=True) if p.is_dir() else []
        for f in files:
            if f.is_file() and f not in keep:
                f.unlink()
            elif f.is_dir() and not any(f.iterdir()):
                f.rmdir()


DOWNLOADS = {
    ".csv": "the resource as CSV (UTF-8)",
    ".json": "the resource as JSON records",
    ".sqlite": "SQLite database: a table per resource, with keys and types",
    ".xlsx": "Excel workbook: a sheet per resource and a columns sheet",
    ".zip": "the whole Data Package, zipped",
}


def render_data_page(views: Views, docs_dir: Path, manifest: dict) -> None:
    """/data/: every download with its size, the dictionary from the schemas, citation and loading."""
    pkg = views.pkg
    files = [
        {
            **f,
            "what": "the Data Package descriptor, schemas inlined"
            if f["path"] == "datapackage.json"
            else DOWNLOADS.get(Path(f["path"]).suffix, ""),
        }
        for f in manifest["files"]
    ]
    files.append(
        {
            "path": "manifest.json",
            "what": "sizes and sha256 of every file",
            "bytes": (docs_dir / "data/manifest.json").stat().st_size,
            "sha256": "",
        }
    )
    dictionary = []
    for res in pkg.descriptor["resources"]:
        schema = pkg.schemas[res["name"]]
        refs = {
            fk["fields"][0]: f"{fk['reference']['resource'] or res['name']}.{fk['reference']['fields'][0]}"
            for fk in schema.get("foreignKeys", [])
        }
        dictionary.append(
            {
                "name": res["name"],
                "title": res.get("title", res["name"]),
                "description": res.get("description", ""),
                "primary_key": ", ".join(schema["primaryKey"]),
                "fields": [
                    {
                        "name": f["name"],
                        "type": f["type"],
                        "description": f.get("description", ""),
                        "required": f.get("constraints", {}).get("required", False),
                        "enum": pkg.enum_labels(res["name"], f["name"]),
                        "references": refs.get(f["name"], ""),
                        "pattern": f.get("constraints", {}).get("pattern", ""),
                    }
                    for f in schema["fields"]
                ],
            }
        )
    r = Renderer(views, docs_dir)
    r.write(
        r.at("data/index.md"),
        "data.md.j2",
        files=files,
        dictionary=dictionary,
        site_url=pkg.descriptor.get("homepage", ""),
    )


def render(views: Views, docs_dir: Path) -> None:
    r = Renderer(views, docs_dir)
    r.render_all()
    remove_stale(docs_dir, r.written)
