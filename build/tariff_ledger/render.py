"""Render stage: Jinja2 templates (one per page type) write Markdown pages into the docs dir.

Every value from the data reaches a page through Jinja2's autoescaping, inside an HTML block, so a
cell can never become markup: Markdown is not parsed inside HTML blocks, and newlines become <br>.
The templates only lay out what this module hands them.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import multiprocessing
import os
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import changelog, charts, derive, feeds
from .cards import AUTHORITY_SLOT, SLOT_LABEL, CardBuilder, day, pct, rate_words
from .coverage import coverage
from .derive import Views
from .export import download_names
from .tables import TableBuilder, fmt_date, fmt_num, nl2br

# Long lists are split into pages of this many rows (no page may exceed 1 MB: 400 rows with long notes
# came to 1.4 MB in the benchmark at 100 times today's data); a partner page shows at most PARTNER_CAP
# rows per section and links to the rest.
PER_PAGE = 200
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
_GROUPED: dict[tuple[str, str], tuple] = {}  # (table, its hash) -> its rows grouped by partner (Renderer)


_ANSWER_HASHES: list = [None, {}]  # the combined answers last hashed, and their hash per partner


def answers_hash(answers: dict) -> dict[str, str]:
    """Each partner's combined answers, hashed; the preview reuses unchanged answers (derive), and then
    their hashes."""
    if _ANSWER_HASHES[0] is not answers:
        by_partner: dict[str, list] = {}
        for k, periods in answers.items():
            by_partner.setdefault(k[0], []).append((k, [(x.start, x.until, x.answer.key()) for x in periods]))
        _ANSWER_HASHES[:] = [
            answers,
            {pid: hashlib.sha256(repr(a).encode()).hexdigest() for pid, a in by_partner.items()},
        ]
    return _ANSWER_HASHES[1]


def forget_rendered() -> None:
    """Render everything again on the next call (the preview's full rebuild)."""
    _RENDERED.clear()
    _SECTIONS.clear()


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
    "compare",
    "methodology",
    "lookup",
    "changelog",
    "feed.xml",
    "calendar.ics",
)
# What the look-up does not know, said once: on its page and under every answer it gives.
LOOKUP_NOT_MODELLED = (
    'Not modelled: the normal (MFN) duty of each product (so a ceiling is shown as "including the normal'
    ' duty"), whether a quota is still open, metal-content and US-content rules, and exemptions that depend'
    " on the use of the goods (shown beside the answer, not applied)."
)
# Said wherever the layers that apply are all ceilings including the normal duty (Answer.ceilings_only).
CEILINGS_NOTE = (
    "Both are ceilings including the normal duty: the higher is shown (no instrument in the record says how"
    " two such ceilings on one good combine)."
)
CHART_START = pd.Timestamp("2025-01-01")
CHART_AFTER = pd.Timedelta(days=45)  # charts run a little past the data date, so the present shows
EDITS = {
    "partner.md.j2": "datasets",
    "partners.md.j2": "datasets/partners.csv",
    "home.md.j2": "datasets",
    "timeline.md.j2": "datasets/events.csv",
    "rates.md.j2": "datasets/tariff_rates.csv",
    "sectors.md.j2": "datasets/tariff_rates.csv",
    "pledges.md.j2": "datasets/pledges.csv",
    "agreements.md.j2": "datasets/agreements.csv",
    "sources.md.j2": "datasets/sources.csv",
    "data.md.j2": "schemas",
    "coverage.md.j2": "datasets",
    "methodology.md.j2": "build/tariff_ledger/templates/methodology.md.j2",
}


def repo_blob(pkg, path: str) -> str:
    return f"{pkg.descriptor.get('repository', '').rstrip('/')}/blob/main/{path}"


@functools.cache
def _env() -> Environment:
    """One environment per process: templates are compiled once (and again when their file changes,
    Jinja's auto_reload, so the preview sees a template edit)."""
    env = Environment(
        loader=PackageLoader("tariff_ledger", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        nl2br=nl2br, date=fmt_date, num=fmt_num, meta=meta, md=md, longdate=lambda d: f"{pd.Timestamp(d):%-d %B %Y}"
    )
    env.globals["ceilings_note"] = CEILINGS_NOTE
    return env


# Python-Markdown's backslash escapes (markdown.Markdown.ESCAPED_CHARS, less ">", which HTML escaping covers).
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!])")


def md(text) -> Markup:
    """Data text in Markdown (a heading): its Markdown punctuation backslash-escaped, so that a name such
    as "[Korea](https://example.org)" or "Korea { #x }" stays text, then HTML-escaped."""
    return Markup(html.escape(MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text)), quote=False))


def meta(text) -> Markup:
    """A front-matter value (a page's title or description): MkDocs' theme templates, Material's among
    them, print these into <title> and <meta content="..."> without escaping, so a partner's name with a
    double quote could add attributes to the page's head. The value is HTML-escaped here, then written as
    a YAML (JSON) string."""
    return Markup(json.dumps(html.escape(str(text), quote=True), ensure_ascii=False))


class Renderer(TableBuilder, CardBuilder):
    def __init__(self, views: Views, docs_dir: Path, incremental: bool = False):
        self.v, self.docs, self.env, self.base = views, docs_dir, _env(), ""
        # The preview server re-renders only what changed; a one-off build renders everything once.
        self.incremental = incremental
        self.assets_later, self.deferred = False, []
        self.written: set[Path] = set()
        t = views.tables
        self.source_records = {r["source_id"]: r for r in t["sources"].to_dict("records")}
        self.table_hash = {
            name: hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
            if incremental
            else ""
            for name, df in t.items()
        }
        # Each partner's rows as plain tuples, and the sources they cite (what a page's fingerprint covers),
        # and as the table's own rows, grouped once rather than filtered per page. The preview keeps them
        # for the tables an edit did not change.
        self.row_tuples: dict[str, dict[str, list]] = {}
        self.cited: dict[str, dict[str, set]] = {}
        self.by_partner: dict[str, dict[str, pd.DataFrame]] = {}
        self.owner_hashes: dict[str, str] = {}
        for name in ("tariff_rates", "events", "agreements", "pledges"):
            key = (name, self.table_hash[name])
            if incremental and key in _GROUPED:
                self.row_tuples[name], self.cited[name], self.by_partner[name] = _GROUPED[key]
                continue
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
            self.by_partner[name] = dict(tuple(df.groupby("partner_id", sort=False)))
            if incremental:
                for old in [k for k in _GROUPED if k[0] == name]:  # one version of each table is kept
                    del _GROUPED[old]
                _GROUPED[key] = (self.row_tuples[name], self.cited[name], self.by_partner[name])
        self.partner_names = t["partners"].set_index("partner_id")["name"].to_dict()
        self.lines = row_lines(views.pkg)
        self.cards = {}  # (partner, day) -> its answer card, built once
        self.deals = {}  # partner -> its main deal
        self.records: dict[str, dict[str, list[dict]]] = {}  # each partner's rows as plain dicts, grouped once
        for name in ("agreements", "pledges"):
            groups = self.records[name] = {}
            for r in t[name].to_dict("records"):
                groups.setdefault(r["partner_id"], []).append(r)
        marked = t["events"][t["events"]["milestone"] != ""].sort_values(["date", "event_id"])
        self.milestones = {
            pid: [(d.date(), m) for d, m in zip(g["date"], g["milestone"], strict=True)]
            for pid, g in marked.groupby("partner_id", sort=False)
        }
        # The key moments the charts mark: a section that draws charts depends on them, not on all events.
        self.table_hash["milestones"] = hashlib.sha256(repr(sorted(self.milestones.items())).encode()).hexdigest()
        # Stated rows still pending, by (owner, scope, stage), for the cards' "next" and "threatened".
        self.stated_rows: dict[tuple, list[str]] = {}
        for rid in sorted(views.pending):
            r = views.rate_records[rid]
            self.stated_rows.setdefault((r["partner_id"], r["product_scope"], r["stage"]), []).append(rid)
        self.labels = {
            (res, f["name"]): views.pkg.enum_labels(res, f["name"])
            for res in views.pkg.schemas
            for f in views.pkg.fields(res)
            if "enum" in f.get("constraints", {})
        }

    def asset(self, producer) -> None:
        """A group of files MkDocs never reads (the scripts' JSON, feeds, calendars): producer() returns
        {path from the site's root: JSON-able payload or bytes}. A full build makes them while MkDocs runs
        (Renderer.assets_later); otherwise they are written into the docs dir now."""
        if self.assets_later:
            self.deferred.append(producer)
            return
        for rel, payload in producer().items():
            self.written.add(
                write_if_changed(self.docs / rel, payload if isinstance(payload, bytes) else dump(payload))
            )

    def write_assets(self, folder: Path) -> list[Path]:
        """Make the deferred files into `folder`, laid out as in the built site."""
        out = []
        for producer in self.deferred:
            for rel, payload in producer().items():
                path = folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(payload if isinstance(payload, bytes) else dump(payload))
                out.append(path)
        return out

    def records_of(self, resource: str, pid: str) -> list[dict]:
        return self.records[resource].get(pid, [])

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
        context.setdefault("partner_names", self.partner_names)
        page = self.env.get_template(template).render(
            correction_url=self.correction_url,
            edit_row_url=self.edit_row_url,
            pkg=self.v.pkg,
            as_of=self.v.as_of,
            version=self.v.pkg.version,
            base=self.base,
            **context,
        )
        self.written.add(write_if_changed(self.docs / rel, page.encode("utf-8")))

    # -- links every row gets ------------------------------------------------------------------------
    def correction_url(self, resource: str, row_id: str, field: str = "", shown: str = "") -> str:
        """A prefilled 'Report a correction' issue form (.github/ISSUE_TEMPLATE/correction.yml)."""
        repo = self.v.pkg.descriptor.get("repository", "").rstrip("/")
        query = {
            "template": "correction.yml",
            "title": f"Correction: {row_id}",
            "file": f"datasets/{resource}.csv",
            "row": row_id,
        }
        if field:
            query["field"] = field
        if shown:
            query["shown"] = shown[:300]
        return f"{repo}/issues/new?{urlencode(query, quote_via=quote)}"

    def edit_row_url(self, resource: str, row_id: str) -> str:
        """The CSV on GitHub, opened at the row's line."""
        line = self.lines.get(resource, {}).get(row_id)
        return f"{repo_blob(self.v.pkg, f'datasets/{resource}.csv')}" + (f"#L{line}" if line else "")

    # -- charts --------------------------------------------------------------------------------------
    @functools.cached_property
    def chart_end(self) -> pd.Timestamp:
        return self.v.as_of + CHART_AFTER

    def moments(self, owners: list[str], p: dict | None = None) -> list[tuple]:
        """Key moments for a chart: the milestone events of the partner, its bloc and WLD, and the partner's
        main deal."""
        out = [m for o in owners for m in self.milestones.get(o, [])]
        deal = self.main_deal(p) if p else None
        if deal and deal["day"] is not None:
            out.append((deal["day"].date(), "Deal"))
        return sorted(out)

    def steps(self, periods) -> list[charts.Step]:
        end = self.chart_end
        return [
            charts.Step(p.start.date(), min(p.until, end).date(), p.answer.value, p.answer.ceiling is not None)
            for p in periods
            if p.start < end
        ]

    def headline_chart(self, p: dict) -> dict | None:
        pid = p["partner_id"]
        periods = self.v.answers.get((pid, "all-goods", ""), [])
        if not any(x.answer.applies for x in periods):
            return None
        series = charts.Series(p["name"], self.steps(periods), slot=1)
        frame = charts.frame_for(
            [series], CHART_START.date(), self.chart_end.date(), self.moments(self.v.owners[pid], p)
        )
        svg, key = charts.step_chart([series], frame)
        changes = "; ".join(
            f"{day(x.start)}: {' '.join(rate_words(x.answer)).strip()}" for x in periods if x.start < self.chart_end
        )
        values = [x.answer.value for x in periods if x.answer.value is not None and x.start < self.chart_end]
        now = derive.answer_on(self.v, pid, "all-goods", self.v.as_of)
        rate, basis = rate_words(now.answer if now else None)
        sentence = (
            f"On {self.v.as_of:%-d %B %Y} most goods from {p['name']} pay {rate}"
            + (f" {basis}" if basis else "")
            + (f"; the highest rate since 2025 was {pct(max(values))}" if values else "")
            + ". Dashed: a ceiling that includes the normal duty."
        )
        return {
            "svg": Markup(svg),
            "key": key,
            "alt": f"The rate on most goods from {p['name']} over time. {changes}.",
            "sentence": sentence,
            "caption": "",
        }

    def grid_chart(self, pid: str, name: str) -> dict | None:
        lanes, used = [], set()
        for scope in self.v.scopes.get(pid, []):
            periods = self.v.answers.get((pid, scope, ""), [])
            bars = []
            for x in periods:
                a = x.answer
                if a.value is None or x.start >= self.chart_end or x.until <= CHART_START:
                    continue
                top = max(a.applies, key=lambda y: (y.rate or 0, y.rate_id))
                slot = AUTHORITY_SLOT.get(top.authority, 6)
                used.add(slot)
                text = ("≤" if a.ceiling is not None else "") + pct(a.value)
                bars.append((x.start.date(), min(x.until, self.chart_end).date(), a.value, text, slot))
            if bars:
                lanes.append(charts.Lane(self.label("tariff_rates", "product_scope", scope), bars))
        if len(lanes) < 2:
            return None
        frame = charts.Frame(CHART_START.date(), self.chart_end.date(), 1.0)
        svg = charts.grid_chart(lanes, frame, [(s, SLOT_LABEL[s]) for s in sorted(used)])
        alt = "; ".join(
            f"{lane.label}: " + ", ".join(f"{t} from {a:%-d %b %Y}" for a, _b, _v, t, _s in lane.bars) for lane in lanes
        )
        return {
            "svg": Markup(svg),
            "key": [],
            "alt": f"Rates on each kind of good from {name} over time. {alt}.",
            "caption": "",
        }

    def carveout_charts(self, p: dict) -> list[dict]:
        """For each kind of good on which the partner (or its bloc) has a rate of its own, that rate against
        the rate for all partners: the UK's steel against the world's."""
        pid, out = p["partner_id"], []
        if pid == "WLD":
            return out
        rates = self.v.tables["tariff_rates"]
        own = rates[
            rates["partner_id"].isin(self.v.owners[pid][:-1])
            & (rates["stage"] == "enacted")
            & (rates["product_scope"] != "all-goods")
        ]
        for scope in [s for s in self.v.scopes.get(pid, []) if s in set(own["product_scope"])][:3]:
            mine = self.v.answers.get((pid, scope, ""), [])
            world = self.v.answers.get(("WLD", scope, ""), [])
            if not world or [x.answer.value for x in mine] == [x.answer.value for x in world]:
                continue
            label = self.label("tariff_rates", "product_scope", scope)
            series = [
                charts.Series(p["name"], self.steps(mine), 1, p["name"]),
                charts.Series("All partners", self.steps(world), 2, "All partners"),
            ]
            frame = charts.frame_for(series, CHART_START.date(), self.chart_end.date())
            svg, _ = charts.step_chart(series, frame)
            alt = " ".join(
                f"{s.label}: "
                + ", ".join(f"{pct(st.value) or 'none'} from {st.start:%-d %b %Y}" for st in s.steps)
                + "."
                for s in series
            )
            heading = self.heading(pid, scope, p.get("adjective", ""))
            out.append(
                {
                    "svg": Markup(svg),
                    "key": [],
                    "alt": f"{label}: {alt}",
                    "caption": "",
                    "title": f"{heading} against all partners",
                    "id": f"{scope}-against-all",
                }
            )
        return out

    # -- pages ---------------------------------------------------------------------------------------
    def rows_of(self, resource: str, *partner_ids: str) -> pd.DataFrame:
        groups = self.by_partner[resource]
        parts = [groups[p] for p in partner_ids if p in groups]
        return pd.concat(parts) if parts else self.v.tables[resource].iloc[0:0]

    def owner_hash(self, owner: str) -> str:
        """The rows of one owner (a partner, a bloc, WLD) in every resource a partner page shows, with the
        sources they cite, hashed once per render (every partner page shows WLD's rows)."""
        if owner not in self.owner_hashes:
            rows = [self.row_tuples[res].get(owner, []) for res in self.row_tuples]
            cited = sorted(set().union(*(self.cited[res].get(owner, set()) for res in self.cited)) - {""})
            text = repr(rows) + repr([self.source_records[c] for c in cited])
            self.owner_hashes[owner] = hashlib.sha256(text.encode()).hexdigest()
        return self.owner_hashes[owner]

    def fingerprint(self, p: dict) -> str:
        """Everything a partner page shows, hashed: an unchanged partner's page is not re-rendered."""
        pid = p["partner_id"]
        owners = self.v.owners[pid]
        parts = [
            repr(sorted(p.items())),
            str(self.v.as_of),
            self.v.pkg.version,
            self.table_hash["combination_rules"],
            *(self.owner_hash(o) for o in owners),
            answers_hash(self.v.answers).get(pid, ""),
            repr(self.moments(owners)),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def partner_page(self, p: dict) -> None:
        t, pid = self.v.tables, p["partner_id"]
        rel = f"partners/{pid.lower()}/index.md"
        if self.incremental:
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
        members = t["partners"][t["partners"]["member_of"] == pid][["partner_id", "name"]]
        cap = PARTNER_CAP
        lines = self.card(p, self.v.as_of)
        goods_of = f"{p['adjective']} goods" if p["adjective"] else "each kind of good"
        first = next((x for x in lines if x.scope == "all-goods"), None)
        description = (
            f"What goods from {p['name']} pay in US tariffs on {self.v.as_of:%-d %B %Y}"
            + (f": most goods {first.rate} {first.basis}".rstrip() if first else "")
            + "; the deal, pledges and the negotiation timeline."
        )
        self.write(
            rel,
            "partner.md.j2",
            p=p,
            lines=lines,
            goods_of=goods_of if pid != "WLD" else "each kind of good from every partner",
            description=description,
            deal=self.main_deal(p),
            pledges=self.pledge_lines(pid),
            headline=self.headline_chart(p),
            grid=self.grid_chart(pid, p["name"]),
            carveouts=self.carveout_charts(p),
            own=self.rates_table(own.head(cap)),
            inherited=self.inherited_list(inherited.head(cap), pid),
            agreements=self.agreements_table(agreements.head(cap)),
            pledges_table=self.pledges_table(pledges.head(cap)),
            events=self.events_list(events.head(cap)),
            event_count=len(events),
            sources=sources.head(cap).to_dict("records"),
            more=more,
            cap=PARTNER_CAP,
            members=members.to_dict("records"),
            edit={n: repo_blob(self.v.pkg, f"datasets/{n}.csv") for n in self.v.pkg.schemas},
            region=self.label("partners", "region", p["region"]),
            aliases=", ".join(a.strip() for a in p["aliases"].split(";") if a.strip()),
            last_changed=self.last_changed().get(pid, ""),
            unreleased=changelog.UNRELEASED,
            history_problem=self.releases[1],
        )

    def inherited_list(self, rows: pd.DataFrame, pid: str) -> list[dict]:
        """The EU's and the all-partner rows that apply to a partner, one line each: their details are on
        their owner's page, not copied onto every partner's."""
        return [
            {
                "text": f"{self.rate_cell(r.rate_pct, r.rate_basis).text} "
                f"{self.label('tariff_rates', 'authority', r.authority)}"
                + (f" ({self.label('tariff_rates', 'measure', r.measure).split(' (')[0]})" if r.measure else "")
                + f" on {self.label('tariff_rates', 'product_scope', r.product_scope).lower()}",
                "when": f"{fmt_date(r.effective_from)} to {fmt_date(r.ended_on) or 'now'}",
                "owner": self.partner_names[r.partner_id],
                "href": self.row_href("tariff_rates", r.rate_id, r.partner_id, pid),
            }
            for r in rows.itertuples()
        ]

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
        if not self.incremental:
            draw()
            return
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

    def ordered_partners(self) -> pd.DataFrame:
        order = self.v.partners["kind"].map({"all": 0, "bloc": 1}).fillna(2)
        return self.v.partners.assign(_order=order).sort_values(["_order", "name"])

    def partner_pages(self, claim=None) -> None:
        """Every partner page; with claim (render()), only those this process claims: claim() hands out
        the next page's number to whichever of the two processes asks first, the largest pages first."""
        order = self.ordered_partners().to_dict("records")
        size = {pid: sum(len(rows.get(pid, ())) for rows in self.row_tuples.values()) for pid in self.partner_names}
        order.sort(key=lambda p: -size[p["partner_id"]])
        if claim is None:
            for p in order:
                self.partner_page(p)
            return
        while (i := claim()) < len(order):
            self.partner_page(order[i])

    # The sections the second process draws (render()), then both share the partner pages: lists that
    # make no files for the site's scripts.
    SECOND = frozenset({"pledges", "agreements", "sources"})

    def render_all(self, share: int | None = None, claim=None) -> None:
        """Every generated page; with share 0 or 1 and claim, that process's part of them (render())."""
        v = self.v
        partners = self.ordered_partners()
        everything = tuple(self.table_hash)
        rates = ("tariff_rates", "combination_rules", "partners", "sources", "milestones")
        sections = [
            (
                "partners",
                everything,
                lambda: self.write(
                    self.at("partners/index.md"), "partners.md.j2", partners=self.partners_table(partners)
                ),
            ),
            ("home", everything, self.home_page),
            ("timeline", ("events", "partners", "sources"), self.timeline_pages),
            ("rates", rates, self.rates_pages),
            ("compare", (*rates, "agreements", "pledges"), self.compare_page),
            ("pledges", ("pledges", "partners", "sources"), self.pledges_pages),
            ("agreements", ("agreements", "partners", "sources"), self.agreements_pages),
            ("coverage", everything, lambda: self.write(self.at("coverage/index.md"), "coverage.md.j2", c=coverage(v))),
            ("sources", ("sources",), self.sources_pages),
            ("methodology", everything, self.methodology_page),
            ("lookup", (*rates, "product_lists", "product_codes"), self.lookup_page),
            ("changelog", everything, self.changelog_page),
            ("feeds", everything, lambda: self.asset(self.feeds)),
        ]
        for name, deps, draw in sections:
            if share is None or (name in self.SECOND) == (share == 1):
                self.section(name, deps, draw)
        self.partner_pages(claim)

    def newest_events(self) -> pd.DataFrame:
        return self.v.tables["events"].sort_values(["date", "event_id"], ascending=[False, True])

    # -- shared pieces of the overview pages -----------------------------------------------------------
    def ranking_rows(self, mode: str, on, scope: str = "all-goods") -> list[dict]:
        """A ranking for the templates: rank, partner, the rate in words and what sets it."""
        out = []
        for i, r in enumerate(derive.ranking(self.v, mode, on, scope), 1):
            pid = r["partner_id"]
            if r["period"] is not None:
                a = r["period"].answer
                rate, basis = rate_words(a)
                setters = [self.layer_link(x.rate_id, pid, x.via, with_rate=len(a.applies) > 1) for x in a.applies]
                ceilings = a.ceilings_only
                since = day(r["period"].start)
            else:
                row = self.v.rate_records[r["rows"][0]]
                rate, basis = pct(r["value"]), self.label("tariff_rates", "stage", row["stage"]).lower()
                setters = [self.layer_link(row["rate_id"], pid, row["partner_id"])]
                ceilings = False
                since = day(row["announced_on"])
            out.append(
                {
                    "rank": i,
                    "pid": pid,
                    "name": self.partner_names[pid],
                    "href": f"{self.base}partners/{pid.lower()}/#{scope}",
                    "rate": rate,
                    "basis": basis,
                    "value": r["value"],
                    "setters": setters,
                    "ceilings_only": ceilings,
                    "since": since,
                }
            )
        return out

    def headline_mix(self) -> list[dict]:
        """Partners grouped by what most of their goods pay on the data date: the rates that differ."""
        groups: dict[tuple, list] = {}
        for r in self.ranking_rows("in-force", self.v.as_of):
            groups.setdefault((r["value"], r["rate"], r["basis"]), []).append(r)
        return [
            {"rate": k[1], "basis": k[2], "partners": rows, "count": len(rows)}
            for k, rows in sorted(groups.items(), key=lambda kv: -kv[0][0])
        ]

    def compare_chart(self, pids: list[str], cap: float = 60.0) -> dict:
        """The headline rate of several partners on one chart (at most six, each its own colour)."""
        series = [
            charts.Series(
                self.partner_names[pid],
                self.steps(self.v.answers.get((pid, "all-goods", ""), [])),
                i + 1,
                self.partner_names[pid],
            )
            for i, pid in enumerate(pids[: charts.SERIES])
        ]
        frame = charts.frame_for(series, CHART_START.date(), self.chart_end.date(), self.moments(["WLD"]), cap=cap)
        svg, key = charts.step_chart(series, frame, value_labels=len(series) == 1)
        alt = " ".join(
            f"{s.label}: " + ", ".join(f"{pct(st.value) or 'none'} from {st.start:%-d %b %Y}" for st in s.steps) + "."
            for s in series
        )
        return {"svg": Markup(svg), "key": key, "alt": f"The rate on most goods over time. {alt}", "caption": ""}

    def home_page(self) -> None:
        self.at("index.md")  # before anything makes a link
        t = self.v.tables
        mix = self.headline_mix()
        milestones = t["events"][t["events"]["milestone"] != ""].sort_values(["date", "event_id"])
        top = [p for p in ("CHN", "EUU", "JPN", "CAN", "IND", "BRA") if p in self.partner_names]
        self.write(
            self.at("index.md"),
            "home.md.j2",
            state=self.state_of_play(mix, milestones),
            mix=mix,
            milestones=self.events_list(milestones.tail(4).iloc[::-1]),
            chart=self.compare_chart(top),
            chart_partners=[self.partner_names[p] for p in top],
            latest=self.events_list(self.newest_events().head(6)),
            figures={
                "partners": int((t["partners"]["kind"] != "all").sum()),
                "rates": len(t["tariff_rates"]),
                "agreements": len(t["agreements"]),
                "pledges": len(t["pledges"]),
                "events": len(t["events"]),
                "sources": len(t["sources"]),
            },
        )

    def state_of_play(self, mix: list[dict], milestones: pd.DataFrame) -> list[str]:
        """Two or three plain sentences from the data: what most goods pay, what happened last, what next."""
        out = []
        if mix:
            common = max(mix, key=lambda g: g["count"])
            higher = [
                r for g in mix if g["partners"][0]["value"] > common["partners"][0]["value"] for r in g["partners"]
            ]
            out.append(
                f"On {self.v.as_of:%-d %B %Y}, most goods from {common['count']} partners pay {common['rate']}"
                + (f" {common['basis']}" if common["basis"] else "")
                + (
                    (
                        f"; {higher[0]['name']} pays more ({higher[0]['rate']})"
                        if len(higher) == 1
                        else f"; {len(higher)} pay more, led by "
                        + " and ".join(f"{r['name']} ({r['rate']})" for r in higher[:2])
                    )
                    if higher
                    else ""
                )
                + "."
            )
        if len(milestones):
            last = milestones.tail(3).iloc[::-1]
            out.append(
                "Latest milestones: " + "; ".join(f"{r.title} ({r.date:%-d %b %Y})" for r in last.itertuples()) + "."
            )
        rates = self.v.tables["tariff_rates"]
        soon = rates[(rates["stage"] == "announced") & (rates["effective_from"] > self.v.as_of)]
        if len(soon):
            r = soon.sort_values(["effective_from", "rate_id"]).iloc[0]
            who = "all partners" if r["partner_id"] == "WLD" else self.partner_names[r["partner_id"]]
            out.append(
                f"Next scheduled: {pct(r['rate_pct'])} on "
                f"{self.label('tariff_rates', 'product_scope', r['product_scope']).lower()} "
                f"({self.label('tariff_rates', 'authority', r['authority'])}, {who}) "
                f"from {r['effective_from']:%-d %B %Y}."
            )
        return out

    def timeline_pages(self) -> None:
        """An index of months (with a filter over every event) and one page per month."""
        ev = self.newest_events()
        months = derive.timeline(ev)
        index = []
        for month, rows in months:
            label = f"{pd.Timestamp(f'{month}-01'):%B %Y}"
            index.append({"month": month, "label": label, "count": len(rows), "href": f"{month}/"})
        # Each month page links to every month (newest first).
        for (month, rows), mo in zip(months, index, strict=True):
            for rel, chunk, pager in self.paged(f"timeline/{month}", rows, derive.EVENTS_PER_PAGE):
                self.write(
                    rel,
                    "timeline_month.md.j2",
                    label=mo["label"],
                    events=self.events_list(chunk),
                    month=month,
                    months=index,
                    count=len(rows),
                    pager=pager,
                )
        # Worldwide events first, named so that they are not taken for "any partner".
        event_partners = sorted(
            {(e, "Global measures (all partners)" if e == "WLD" else self.partner_names[e]) for e in ev["partner_id"]},
            key=lambda x: (x[0] != "WLD", x[1]),
        )
        self.at("timeline/index.md")
        latest = months[0][1] if months else ev.iloc[0:0]
        self.write(
            "timeline/index.md",
            "timeline.md.j2",
            months=index,
            count=len(ev),
            partners=event_partners,
            kinds=self.v.pkg.enum_labels("events", "kind"),
            latest=self.events_list(latest),
            latest_label=index[0]["label"] if index else "",
        )
        self.asset(
            lambda: {
                "assets/generated/timeline.json": {
                    "partners": self.partner_names,
                    "events": [
                        [
                            e.event_id,
                            fmt_date(e.date),
                            e.partner_id,
                            e.kind,
                            e.title,
                            self.v.event_pages[e.event_id].removeprefix("timeline/").rstrip("/"),
                        ]
                        for e in ev.itertuples()
                    ],
                }
            }
        )

    def rates_pages(self) -> None:
        v = self.v
        key = [(label, mode, d, f"ranking/{slug}/") for label, mode, d, slug in v.key_dates]
        for label, mode, d, href in key:
            rel = f"rates/{href}index.md"
            self.at(rel)
            self.write(rel, "ranking.md.j2", label=label, rows=self.ranking_rows(mode, d), mode=mode)
        scopes = v.pkg.enum_labels("tariff_rates", "product_scope")
        shipment = set(v.pkg.field("tariff_rates", "product_scope").get("shipmentScopes", []))
        used = set(v.tables["tariff_rates"]["product_scope"])
        sectors = self.sector_charts()
        # The charts have a page of their own: drawn on /rates/, they made the tool's page slow to start.
        self.at("rates/sectors/index.md")
        self.write("rates/sectors/index.md", "sectors.md.j2", sectors=sectors)
        self.at("rates/index.md")
        self.write(
            "rates/index.md",
            "rates.md.j2",
            ranking=self.ranking_rows("in-force", v.as_of)[:15],
            ranking_total=len(derive.ranking(v, "in-force", v.as_of)),
            key_dates=[(label, href, fmt_date(d) if d is not None else "") for label, _m, d, href in key],
            partners=sorted(((p, n) for p, n in self.partner_names.items() if p != "WLD"), key=lambda x: x[1]),
            scopes=[(s, lab) for s, lab in scopes.items() if s in used and s not in shipment],
            authorities=v.pkg.enum_labels("tariff_rates", "authority"),
            sectors=[(c["id"], c["title"]) for c in sectors],
        )
        self.asset(self.rates_json)

    def sector_charts(self) -> list[dict]:
        """Each Section 232 kind of good: the rate for all partners against the partners with their own."""
        rates = self.v.tables["tariff_rates"]
        s232 = rates[(rates["authority"] == "section-232") & (rates["stage"] == "enacted")]
        out = []
        for scope in self.v.scopes.get("WLD", []):
            own = sorted(set(s232.loc[(s232["product_scope"] == scope) & (s232["partner_id"] != "WLD"), "partner_id"]))
            if scope == "all-goods" or not own:
                continue
            pids = ["WLD", *own][: charts.SERIES]
            series = [
                charts.Series(
                    self.partner_names[p],
                    self.steps(self.v.answers.get((p, scope, ""), [])),
                    i + 1,
                    self.partner_names[p],
                )
                for i, p in enumerate(pids)
            ]
            frame = charts.frame_for(series, CHART_START.date(), self.chart_end.date())
            svg, _ = charts.step_chart(series, frame, value_labels=False)
            label = self.label("tariff_rates", "product_scope", scope)
            alt = " ".join(
                f"{s.label}: "
                + ", ".join(f"{pct(st.value) or 'none'} from {st.start:%-d %b %Y}" for st in s.steps)
                + "."
                for s in series
            )
            more = len(own) + 1 - len(pids)
            out.append(
                {
                    "svg": Markup(svg),
                    "key": [],
                    "alt": f"{label}: {alt}",
                    "id": scope,
                    "title": label,
                    "caption": f"{len(own) - more} partners with a rate of their own"
                    + (f" (and {more} more, on their pages)" if more > 0 else "")
                    + ".",
                }
            )
        return out

    @staticmethod
    def by_authority(a) -> dict[str, list]:
        """What each authority's layers add up to in a combined answer, for a ranking under one authority
        (Brazil's 50% is 10% reciprocal and 40% IEEPA-other): {authority: [rate, in words]}."""
        out: dict[str, list] = {}
        for k in dict.fromkeys(x.authority for x in a.applies):
            part = a.of_authority(k)  # never None: k is the authority of a layer that applies
            if not (part.unrated and part.value == 0):  # not only fees with no single rate
                out[k] = [part.value, " ".join(rate_words(part)).strip()]
        return out

    def rates_json(self) -> dict[str, object]:
        """The rates tool's data, in small pieces loaded on demand: per kind of good, every partner's
        combined answer over time (rankings); per partner, its answers with what sets them and why other
        layers do not apply, and its announced and threatened rows."""
        v, files = self.v, {}
        period = self.period_json

        by_scope: dict[str, dict] = {}
        for (pid, scope, condition), periods in v.answers.items():
            if condition or pid == "WLD":
                continue
            by_scope.setdefault(scope, {})[pid] = [
                [
                    fmt_date(p.start),
                    None if p.until == derive.END_OF_TIME else fmt_date(p.until),
                    p.answer.value,
                    " ".join(rate_words(p.answer)).strip(),
                    sorted({x.authority for x in p.answer.applies}),
                    self.by_authority(p.answer),
                ]
                for p in periods
            ]
        members = {
            p: m
            for p, m in zip(v.tables["partners"]["partner_id"], v.tables["partners"]["member_of"], strict=True)
            if m
        }
        for scope, rows in by_scope.items():
            files[f"assets/generated/rates/scope-{scope}.json"] = {"scope": scope, "members": members, "partners": rows}
        rates = v.tables["tariff_rates"]
        stated = rates[rates["stage"] != "enacted"]
        for pid, owners in v.owners.items():
            used = set()
            answers = {}
            for scope in v.scopes.get(pid, []):
                answers[scope] = [period(p) for p in v.answers.get((pid, scope, ""), [])]
                for p in v.answers.get((pid, scope, ""), []):
                    used |= {x.rate_id for x in p.answer.applies} | {x.rate_id for x, _ in p.answer.excluded}
            mine = [
                rid
                for rid in stated.loc[stated["partner_id"].isin(owners), "rate_id"]
                if not derive.overridden(v, pid, v.rate_records[rid])
            ]
            used |= set(mine)
            payload = {
                "partner": pid,
                "answers": answers,
                "stated": mine,
                "rates": {rid: self.rate_json(rid, pid) for rid in sorted(used)},
                "rules": {
                    rid: {
                        "text": self.rule_link(rid).text,
                        "href": f"methodology/#{rid}",
                        "title": v.rules[rid]["legal_instrument"],
                    }
                    for rid in sorted({r for a in answers.values() for p in a for _, r in p[6]})
                },
            }
            files[f"assets/generated/rates/{pid}.json"] = payload
        index = {
            "data_as_of": fmt_date(v.as_of),
            "partners": self.partner_names,
            "scopes": v.pkg.enum_labels("tariff_rates", "product_scope"),
            "authorities": v.pkg.enum_labels("tariff_rates", "authority"),
            "stages": v.pkg.enum_labels("tariff_rates", "stage"),
            "ceilings_note": CEILINGS_NOTE,
        }
        files["assets/generated/rates/index.json"] = index
        return files

    @staticmethod
    def period_json(p) -> list:
        """A period of a combined answer for the scripts: from, until, value, rate and basis in words, the
        layers that apply, and the layers that do not with the rule (or "list:") that says why."""
        a = p.answer
        rate, basis = rate_words(a)
        return [
            fmt_date(p.start),
            None if p.until == derive.END_OF_TIME else fmt_date(p.until),
            a.value,
            rate,
            basis,
            [x.rate_id for x in a.applies],
            [[x.rate_id, r] for x, r in a.excluded],
            a.ceilings_only,
        ]

    def lookup_page(self) -> None:
        """/lookup/: an HTS code, a partner and a date to the layers that apply at product level. The page
        is static; its script loads small pieces: the lists, the codes of one chapter, one partner's
        answers."""
        examples = [
            ("8703", "KOR", fmt_date(self.v.as_of), "a passenger car from South Korea"),
            ("940161", "VNM", "2025-11-01", "upholstered wooden seats from Vietnam"),
            ("7208", "GBR", "2025-06-15", "flat-rolled steel from the United Kingdom"),
            ("7208", "DEU", "2025-06-15", "flat-rolled steel from Germany"),
            ("2709", "SAU", "2025-05-15", "crude oil from Saudi Arabia (Annex II)"),
            ("2204", "CAN", fmt_date(self.v.as_of), "wine from Canada (Section 338)"),
        ]
        self.write(
            self.at("lookup/index.md"),
            "lookup.md.j2",
            examples=[e for e in examples if e[1] in self.partner_names],
            partners=sorted(((p, n) for p, n in self.partner_names.items() if p != "WLD"), key=lambda x: x[1]),
            lists=self.v.tables["product_lists"].to_dict("records"),
            not_modelled=LOOKUP_NOT_MODELLED,
        )
        self.asset(self.lookup_json)

    def lookup_json(self) -> dict[str, object]:
        v, files = self.v, {}
        pl = derive.product_lists(v.tables)
        src = self.source_records
        files["assets/generated/lookup/lists.json"] = {
            "data_as_of": fmt_date(v.as_of),
            "not_modelled": LOOKUP_NOT_MODELLED,
            "ceilings_note": CEILINGS_NOTE,
            "partners": self.partner_names,
            "owners": v.owners,
            "scopes": v.pkg.enum_labels("tariff_rates", "product_scope"),
            "lists": {
                lid: {
                    "title": r["title"],
                    "authority": r["authority"],
                    "measure": r["measure"],
                    "scope": r["product_scope"],
                    "effect": r["effect"],
                    "partner": r["partner_id"],
                    "condition": self.label("product_lists", "condition", r["condition"]) if r["condition"] else "",
                    "from": fmt_date(r["valid_from"]),
                    "until": fmt_date(r["valid_until"]),
                    "instrument": r["legal_instrument"],
                    "source": src[r["source_id"]]["url"],
                    "source_title": src[r["source_id"]]["title"],
                }
                for lid, r in pl.lists.items()
            },
        }
        chapters: dict[str, dict] = {}
        for code, sig in pl.code_signature.items():
            piece = chapters.setdefault(code[:2], {"codes": {}, "sigs": {}})
            piece["codes"][code] = sig
            piece["sigs"][sig] = list(pl.signatures[sig])
        for chapter, piece in chapters.items():
            files[f"assets/generated/lookup/codes-{chapter}.json"] = piece
        shared, as_json = {}, {}
        list_conditions = set(v.tables["product_lists"]["condition"].dropna())
        for pid in v.owners:
            if pid == "WLD":
                continue
            found = derive.product_answers(v, pl, pid, shared)
            if id(found) not in as_json:  # the same answers (EU members) are written out once
                as_json[id(found)] = {k: [self.period_json(p) for p in periods] for k, periods in found.items()}
            made = as_json[id(found)]
            answers = {k: a for (k, c), a in made.items() if not c}
            # The answers under a condition (USMCA-qualifying goods, within the quota), where they differ.
            conditions = {}
            for c in v.conditions.get(pid, []):
                alt = {k: a for (k, cc), a in made.items() if cc == c}
                name = self.condition_name(c)
                conditions[name] = {k: a for k, a in alt.items() if a != answers.get(k)}
            every = [*answers.values(), *(a for alt in conditions.values() for a in alt.values())]
            used = {rid for a in every for p in a for rid in (*p[5], *(x[0] for x in p[6]))}
            rules = {r for a in every for p in a for _, r in p[6] if not r.startswith("list:")}
            stated = sorted(
                rid
                for rid in v.pending
                if v.rate_records[rid]["partner_id"] in v.owners[pid]
                and not derive.overridden(v, pid, v.rate_records[rid])
            )
            # Small pieces: rows by their number in "rates", each distinct period once, and the answers as
            # lists of period numbers.
            order = sorted(used | set(stated))
            n = {rid: i for i, rid in enumerate(order)}
            periods: dict[str, int] = {}

            def by_number(a: list, n=n, periods=periods) -> list[int]:
                return _numbered(
                    [[*p[:5], [n[r] for r in p[5]], [[n[r], why] for r, why in p[6]], *p[7:]] for p in a], periods
                )

            answers = {k: by_number(a) for k, a in answers.items()}
            conditions = {name: {k: by_number(a) for k, a in alt.items()} for name, alt in conditions.items() if alt}
            files[f"assets/generated/lookup/{pid}.json"] = {
                "periods": [json.loads(p) for p in periods],
                "answers": answers,
                "conditions": conditions,
                "stated": [n[r] for r in stated],
                "rates": [self.rate_json(rid, pid) for rid in order],
                "rules": {
                    rid: {
                        "text": self.rule_link(rid).text,
                        "href": f"methodology/#{rid}",
                        "title": v.rules[rid]["legal_instrument"],
                    }
                    for rid in sorted(rules)
                },
                # Goods spared by a condition the code does not show (generic medicines): named beside
                # the answer where the layer they are spared from applies.
                "spared": [
                    {
                        "label": self.condition_name(r.condition),
                        "authority": r.target[0],
                        "measure": r.target[1],
                        "scope": r.target[2],
                        "from": fmt_date(v.rules[r.rule_id]["valid_from"]),
                        "until": fmt_date(v.rules[r.rule_id]["valid_until"]),
                        "text": self.rule_link(r.rule_id).text,
                        "href": f"methodology/#{r.rule_id}",
                    }
                    for r in v.spared.get(pid, [])
                    if r.condition not in list_conditions  # those the look-up shows by their product list
                ],
            }
        return files

    def rate_json(self, rid: str, pid: str) -> dict:
        r = self.v.rate_records[rid]
        src = self.source_records[r["source_id"]]
        return {
            "name": self.layer_name(r, pid, r["partner_id"] if r["partner_id"] != pid else pid),
            "partner": r["partner_id"],
            "authority": r["authority"],
            "measure": r["measure"],
            "scope": r["product_scope"],
            "rate": None if pd.isna(r["rate_pct"]) else r["rate_pct"],
            "basis": r["rate_basis"],
            "stage": r["stage"],
            "announced": fmt_date(r["announced_on"]),
            "from": fmt_date(r["effective_from"]),
            "until": fmt_date(r["ended_on"]),
            "href": f"partners/{r['partner_id'].lower()}/#{rid}",  # from the site's root
            "instrument": r["legal_instrument"],
            "source": src["url"],
            "source_title": src["title"],
        }

    def compare_page(self) -> None:
        default = [p for p in ("JPN", "EUU", "KOR") if p in self.partner_names]
        pids = [p for p in self.v.owners if p != "WLD"]
        chart_all = {pid: self.steps(self.v.answers.get((pid, "all-goods", ""), [])) for pid in pids}
        self.at("compare/index.md")
        # Every partner's series on the same axes (0-60%, higher values clipped), so the page's script can
        # show any choice; the default choice is drawn here, for readers without JavaScript.
        frame = charts.Frame(CHART_START.date(), self.chart_end.date(), 60.0, self.moments(["WLD"]))
        series = [charts.Series(self.partner_names[p], chart_all[p], i + 1) for i, p in enumerate(default)]
        svg, key = charts.step_chart(series, frame, value_labels=False)
        self.write(
            "compare/index.md",
            "compare.md.j2",
            default=default,
            partners=sorted(((p, self.partner_names[p]) for p in pids), key=lambda x: x[1]),
            chart={"svg": Markup(svg), "key": key, "caption": "", "alt": self.compare_chart(default)["alt"]},
            columns=self.compare_columns(default),
        )
        self.asset(
            lambda: {
                "assets/generated/compare.json": {
                    pid: {
                        "name": self.partner_names[pid],
                        "columns": self.compare_columns([pid])[0],
                        "paths": charts.series_paths(charts.Series(self.partner_names[pid], steps), frame),
                    }
                    for pid, steps in chart_all.items()
                }
            }
        )

    def compare_columns(self, pids: list[str]) -> list[dict]:
        """What the compare view puts side by side for each partner."""
        out = []
        for pid in pids:
            p = self.v.partners[self.v.partners["partner_id"] == pid].iloc[0].to_dict()
            lines = {x.scope: x for x in self.card(p, self.v.as_of)}
            deal = self.main_deal(p)
            out.append(
                {
                    "pid": pid,
                    "name": p["name"],
                    "href": f"{self.base}partners/{pid.lower()}/",
                    "scopes": {
                        s: f"{lines[s].rate} {lines[s].basis}".strip()
                        for s in ("all-goods", "autos", "steel", "pharmaceuticals", "semiconductors")
                        if s in lines
                    },
                    "deal": (
                        f"{deal['title']} ({deal['announced']}, {deal['status']})"
                        + (
                            f"; latest step: {deal['latest']['title']} ({deal['latest']['announced']}, "
                            f"{deal['latest']['status']})"
                            if deal["latest"]
                            else ""
                        )
                    )
                    if deal
                    else "none recorded",
                    "pledges": [
                        f"{g['who']}: " + "; ".join(i["text"] for i in g["entries"]) for g in self.pledge_lines(pid)
                    ],
                }
            )
        return out

    def pledges_pages(self) -> None:
        totals = derive.pledge_totals(self.v)
        groups = []
        for who in self.v.pkg.enum_labels("pledges", "pledged_by"):
            mine = totals[totals["pledged_by"] == who]
            if not len(mine):
                continue
            whole = mine[mine["amount_basis"] == "total"]
            yearly = mine[mine["amount_basis"] == "per-year"]
            chart = ""
            if len(whole) > 1:
                chart = charts.bar_chart(
                    [self.label("pledges", "category", c) for c in whole["category"]],
                    list(whole["amount_usd_bn"]),
                    "US$bn",
                )
            groups.append(
                {
                    "who": self.label("pledges", "pledged_by", who),
                    "id": f"by-{who}",
                    "total": float(whole["amount_usd_bn"].sum()),
                    "yearly": float(yearly["amount_usd_bn"].sum()),
                    "totals": [
                        {
                            "label": self.label("pledges", "category", r.category),
                            "amount": r.amount_usd_bn,
                            "count": r.pledges,
                        }
                        for r in whole.itertuples()
                    ],
                    "per_year": [
                        {
                            "label": self.label("pledges", "category", r.category),
                            "amount": r.amount_usd_bn,
                            "count": r.pledges,
                        }
                        for r in yearly.itertuples()
                    ],
                    "chart": {
                        "svg": Markup(chart),
                        "key": [],
                        "caption": "",
                        "alt": "; ".join(
                            f"{self.label('pledges', 'category', r.category)}: US${fmt_num(r.amount_usd_bn)} billion"
                            for r in whole.itertuples()
                        ),
                    }
                    if chart
                    else None,
                }
            )
        all_pledges = self.v.tables["pledges"].sort_values(["partner_id", "announced_on", "pledge_id"])
        if len(all_pledges) > PER_PAGE:
            self.list_pages("pledges/all", all_pledges, "Every pledge", self.pledges_table, "pledges/", "Pledges")
        rel = self.at("pledges/index.md")
        table = self.pledges_table(all_pledges.head(PER_PAGE))
        table.table_id = "pledges"
        self.write(rel, "pledges.md.j2", table=table, total=len(all_pledges), groups=groups)

    @property
    def releases(self) -> tuple[list, str]:
        """The release history from git (computed once)."""
        if not hasattr(self, "_releases"):
            self._releases = changelog.releases(self.v.pkg)
        return self._releases

    def last_changed(self) -> dict[str, str]:
        """Partner -> the release in which its own rows last changed."""
        if not hasattr(self, "_last_changed"):
            t = self.v.tables
            partner_of = {
                name: dict(zip(t[name][self.v.pkg.schemas[name]["primaryKey"][0]], t[name]["partner_id"], strict=True))
                for name in ("tariff_rates", "events", "agreements", "pledges", "combination_rules", "product_lists")
            }
            self._last_changed = changelog.partner_changes(self.v.pkg, self.releases[0], partner_of)
        return self._last_changed

    def changelog_page(self) -> None:
        found, problem = self.releases
        out = []
        for r in found:
            resources = []
            for d in r.diffs:
                if d.empty():
                    continue
                key = self.v.pkg.schemas[d.name]["primaryKey"][0]
                live = set(self.v.tables[d.name][key]) if key in self.v.tables[d.name] else set()
                resources.append(
                    {
                        "name": d.name,
                        "added": d.added,
                        "removed": d.removed,
                        "changed": [{"id": k, "cells": cells, "live": k in live} for k, cells in d.changed.items()],
                    }
                )
            out.append(
                {
                    "version": r.version,
                    "tag": r.tag,
                    "date": r.date,
                    "notes": r.notes,
                    "compared_to": r.compared_to,
                    "problem": r.problem,
                    "resources": resources,
                }
            )
        self.write(self.at("changelog/index.md"), "changelog.md.j2", releases=out, problem=problem, cap=300)

    def site_url(self) -> str:
        return self.v.pkg.descriptor.get("homepage", "").rstrip("/") + "/"

    def describe_rate(self, r) -> str:
        rate = pct(r.rate_pct) if not pd.isna(r.rate_pct) else "a measure"
        return (
            f"{rate} {self.label('tariff_rates', 'authority', r.authority)} on "
            f"{self.label('tariff_rates', 'product_scope', r.product_scope).lower()}"
        )

    def feeds(self) -> dict[str, bytes]:
        """/feed.xml and /calendar.ics, and one of each per partner."""
        site, v = self.site_url(), self.v
        found, _ = self.releases
        stamp = fmt_date(v.as_of)
        ev = self.newest_events()
        files = {}

        def release_entries(pid: str | None) -> list[dict]:
            out = []
            for r in found:
                if not r.date:
                    continue
                counts = []
                for d in r.diffs:
                    if pid is not None:
                        of = set(v.tables[d.name]["partner_id"]) if "partner_id" in v.tables[d.name] else set()
                        if pid not in of:
                            continue
                    if not d.empty():
                        counts.append(
                            f"{d.name}: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} corrected"
                        )
                if pid is not None and not counts:
                    continue
                out.append(
                    {
                        "id": f"{site}changelog/#v{r.version}",
                        "url": f"{site}changelog/#v{r.version}",
                        "title": f"Data release {r.version}",
                        "updated": r.date,
                        "summary": "; ".join(counts) or r.notes[:500] or f"Release {r.version}.",
                    }
                )
            return out

        def event_entries(rows: pd.DataFrame) -> list[dict]:
            return [
                {
                    "id": f"{site}timeline/{e.date:%Y-%m}/#{e.event_id}",  # stable, whatever the page
                    "url": f"{site}{self.v.event_pages[e.event_id]}#{e.event_id}",
                    "title": f"{fmt_date(e.date)}: {e.title} ({v.partner_name(e.partner_id)})",
                    "updated": fmt_date(e.date),
                    "summary": e.summary,
                }
                for e in rows.itertuples()
            ]

        def newest(entries: list[dict]) -> list[dict]:
            return sorted(entries, key=lambda e: (e["updated"], e["id"]), reverse=True)[:100]

        entries = newest(release_entries(None) + event_entries(ev.head(100)))
        files["feed.xml"] = feeds.atom(
            "Tariff Ledger: new events and data releases",
            f"{site}feed.xml",
            site,
            entries[0]["updated"] if entries else stamp,
            entries,
        )
        files["calendar.ics"] = feeds.ics(
            "Tariff Ledger: scheduled US tariff steps", feeds.scheduled_items(v, None, self.describe_rate, site), stamp
        )
        by_partner = dict(tuple(ev.groupby("partner_id", sort=False)))
        for pid, owners in v.owners.items():
            slug = pid.lower()
            mine = newest(release_entries(pid) + event_entries(by_partner.get(pid, ev.iloc[0:0]).head(100)))
            files[f"partners/{slug}/feed.xml"] = feeds.atom(
                f"Tariff Ledger: {v.partner_name(pid)}",
                f"{site}partners/{slug}/feed.xml",
                f"{site}partners/{slug}/",
                mine[0]["updated"] if mine else stamp,
                mine,
            )
            files[f"partners/{slug}/calendar.ics"] = feeds.ics(
                f"Tariff Ledger: {v.partner_name(pid)}, scheduled steps",
                feeds.scheduled_items(v, set(owners), self.describe_rate, site),
                stamp,
            )
        return files

    def methodology_page(self) -> None:
        """The method, with every combination rule listed from the data."""
        c = coverage(self.v)
        kinds = self.v.pkg.enum_labels("combination_rules", "kind")
        rules = self.v.tables["combination_rules"].sort_values(["authority", "valid_from", "rule_id"])
        groups = []
        for authority, label in self.v.pkg.enum_labels("tariff_rates", "authority").items():
            mine = rules[rules["authority"] == authority]
            if not len(mine):
                continue
            groups.append(
                {
                    "id": authority,
                    "title": f"Rules on the {label} layer",
                    "rules": [
                        {
                            "rule_id": r.rule_id,
                            "summary": r.summary,
                            "kind_label": kinds[r.kind],
                            "who": "all partners" if r.partner_id == "WLD" else self.partner_names[r.partner_id],
                            "period": f"from {day(r.valid_from)}"
                            + (
                                f" until {day(r.valid_until - pd.Timedelta(days=1))}"
                                if not pd.isna(r.valid_until)
                                else ""
                            ),
                            "legal_instrument": r.legal_instrument,
                            "source": self.source_cell(r.source_id),
                            "source2": self.source_cell(r.second_source_id),
                        }
                        for r in mine.itertuples()
                    ],
                }
            )
        self.write(
            self.at("methodology/index.md"),
            "methodology.md.j2",
            rule_groups=groups,
            rule_count=len(rules),
            latest=c["latest"],
            tracker_only=c["tracker_only"],
            low_grade_only=c["low_grade_only"],
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


def dump(payload) -> bytes:
    """JSON for the site's scripts: compact, sorted, never NaN."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def row_lines(pkg) -> dict[str, dict[str, int]]:
    """The line on which each row starts in its CSV, by resource and row id (for links to the row)."""
    import csv

    out = {}
    for name in pkg.schemas:
        key = pkg.schemas[name]["primaryKey"][0]
        with pkg.csv_path(name).open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            i, lines, start = header.index(key), {}, reader.line_num + 1
            for cells in reader:
                if cells:
                    lines[cells[i]] = start
                start = reader.line_num + 1
        out[name] = lines
    return out


def _numbered(periods: list, table: dict[str, int]) -> list[int]:
    """The periods as their numbers in `table` (each distinct period numbered once, in order of use)."""
    return [table.setdefault(json.dumps(p, separators=(",", ":")), len(table)) for p in periods]


def write_if_changed(path: Path, data: bytes) -> Path:
    """Write only what changed, so the preview server (mkdocs serve --dirty) rebuilds only those pages;
    write it aside and rename it into place, so a killed build never leaves a half-written page (the
    dotted temporary name is one MkDocs ignores, and the next render removes it)."""
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


def remove_stale(docs_dir: Path, keep: set[Path]) -> None:
    """Delete generated files this run did not write (a partner removed from the data, say), and what a
    killed build left half-written."""
    leftovers = list(docs_dir.glob(".*.tmp-*"))
    for rel in (*GENERATED, "data"):
        if (docs_dir / rel).is_dir():
            leftovers += (docs_dir / rel).rglob(".*.tmp-*")
    for leftover in leftovers:
        leftover.unlink()
    for rel in GENERATED:
        p = docs_dir / rel
        files = [p] if p.is_file() else sorted(p.rglob("*"), reverse=True) if p.is_dir() else []
        for f in files:
            if f.is_file() and f not in keep:
                f.unlink()
            elif f.is_dir() and not any(f.iterdir()):
                f.rmdir()


DOWNLOADS = {  # what each download is: by its name, else by its suffix
    ".csv": "the resource as CSV (UTF-8)",
    ".parquet": "the resource as Parquet, typed from its schema (dates, numbers, nulls)",
    ".json": "the resource as JSON records",
    ".sqlite": "SQLite database: a table per resource, with keys and types",
    ".xlsx": "Excel workbook: a sheet per resource and a columns sheet",
    ".zip": "the whole Data Package, zipped",
    "datapackage.json": "the Data Package descriptor, schemas inlined",
    "manifest.json": "sizes and sha256 of every file",
}


FILL = re.compile(r"@@tl-(size|sort|sha):([A-Za-z0-9_.-]+)@@")  # a download's figure, filled in once made


def download_cells(manifest: dict | None, manifest_bytes: int | None) -> dict[str, dict[str, str]]:
    """What the /data/ table shows of each download: size, sort key, start of the sha256. Without a
    manifest (the build makes the downloads while MkDocs runs), placeholders that fill_data_page
    replaces in the built page once they are made."""
    if manifest is None:
        names = [*download_names(), "manifest.json"]
        return {n: {k: f"@@tl-{k}:{n}@@" for k in ("size", "sort", "sha")} for n in names}
    files = [*manifest["files"], {"path": "manifest.json", "bytes": manifest_bytes, "sha256": ""}]
    return {
        f["path"]: {
            "size": f"{f['bytes']:,}",
            "sort": str(f["bytes"]),
            "sha": f["sha256"][:16] + "…" if f["sha256"] else "",
        }
        for f in files
    }


def fill_data_page(page: Path, manifest: dict, manifest_bytes: int) -> None:
    """Put the downloads' sizes and checksums into the built /data/ page (see download_cells)."""
    cells = download_cells(manifest, manifest_bytes)
    text = page.read_text(encoding="utf-8")
    page.write_text(FILL.sub(lambda m: html.escape(cells[m[2]][m[1]]), text), encoding="utf-8")


def render_data_page(views: Views, docs_dir: Path, manifest: dict | None) -> None:
    """/data/: every download with its size, the dictionary from the schemas, citation and loading.
    manifest None: the sizes are filled in later (download_cells)."""
    pkg = views.pkg
    listed = docs_dir / "data/manifest.json"
    cells = download_cells(manifest, listed.stat().st_size if manifest is not None else None)
    files = [
        {
            "path": name,
            **shown,
            "what": DOWNLOADS.get(name) or DOWNLOADS.get(Path(name).suffix, ""),
        }
        for name, shown in cells.items()
    ]
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


def prepared(views: Views, docs_dir: Path, incremental: bool = False) -> Renderer:
    """A Renderer with the rows grouped and the release history read (once, before any fork): the
    pipeline makes it while Frictionless is still checking the package."""
    r = Renderer(views, docs_dir, incremental)
    r.last_changed()
    return r


def render(
    views: Views,
    docs_dir: Path,
    incremental: bool = False,
    beside=None,
    assets_later: bool = False,
    renderer: Renderer | None = None,
):
    """Write every generated page. Where processes can fork (Linux), a forked process runs `beside` (the
    pipeline's export stage, if given) and the sections in Renderer.SECOND while this one renders the
    rest; then both draw the partner pages, each claiming the next one.
    Returns (the result of `beside`, the Renderer: with assets_later, its write_assets makes the JSON
    files for the site's scripts later, while MkDocs runs). renderer: one already made for these views
    (prepared())."""
    r = renderer or prepared(views, docs_dir, incremental)
    r.assets_later = assets_later
    if incremental or "fork" not in multiprocessing.get_all_start_methods():
        r.render_all()
        remove_stale(docs_dir, r.written)
        return (beside() if beside else None), r
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    counter = ctx.Value("i", 0)  # the next partner page to draw, in shared memory

    def claim() -> int:
        with counter.get_lock():
            counter.value += 1
            return counter.value - 1

    def other_half() -> None:
        try:
            result = beside() if beside else None
            r.render_all(share=1, claim=claim)
            send.send(("ok", result, r.written))
        except BaseException as e:  # report it: the parent raises it
            send.send(("error", f"{type(e).__name__}: {e}", None))

    child = ctx.Process(target=other_half, daemon=True)
    child.start()
    send.close()
    try:
        r.render_all(share=0, claim=claim)
        status, result, written = recv.recv()  # EOFError if the child died without a word
    finally:
        child.join()
    if status != "ok":
        raise RuntimeError(f"rendering in the second process failed: {result}")
    remove_stale(docs_dir, r.written | written)
    return result, r
