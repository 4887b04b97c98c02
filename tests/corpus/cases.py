"""The bad-input corpus: each case is a patch to a copy of the real package and the error it must
produce (file, line, column and the start of the message with its fix). Lines and columns are those of
the real file after the patch; `row` patches change data row 1 (line 2) unless `index` says otherwise.

Ops:
- ("cell", resource, column, value[, index])  change one cell
- ("append", resource, {column: value})       append a copy of row 1 with changes
- ("bytes", path, function)                   rewrite a file's bytes
- ("json", path, function)                    change a JSON file (parsed) and write it back
- ("text", path, text)                        replace a file's text
"""

from __future__ import annotations

import json

BIG = "x" * 1_000_000


def _replace_line(n, fn):
    def patch(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[n - 1] = fn(lines[n - 1])
        return b"\n".join(lines)

    return patch


def _header(fn):
    return _replace_line(1, fn)


def _resource(name, **changes):
    def patch(d):
        next(r for r in d["resources"] if r["name"] == name).update(changes)
        return d

    return patch


def _rename_field(old, new):
    def patch(d):
        next(f for f in d["fields"] if f["name"] == old)["name"] = new
        return d

    return patch


CASES = [
    # -- malformed CSV -------------------------------------------------------------------------------
    (
        "csv",
        "unterminated-quote",
        ("bytes", "datasets/events.csv", _replace_line(6, lambda line: line.replace(b",", b',"', 1))),
        "datasets/events.csv:6:1: malformed CSV",
    ),
    (
        "csv",
        "ragged-row-short",
        ("bytes", "datasets/partners.csv", _replace_line(3, lambda line: line.rsplit(b",", 2)[0])),
        "datasets/partners.csv:3:7: row has 6 cells but the header has 8",
    ),
    (
        "csv",
        "ragged-row-long",
        ("bytes", "datasets/partners.csv", _replace_line(3, lambda line: line + b",extra")),
        "datasets/partners.csv:3:9: row has 9 cells but the header has 8",
    ),
    (
        "csv",
        "duplicate-header",
        ("bytes", "datasets/partners.csv", _header(lambda line: line.replace(b"region", b"name"))),
        'datasets/partners.csv:1:6: column "name" appears twice; delete the duplicate',
    ),
    (
        "csv",
        "missing-header",
        ("bytes", "datasets/partners.csv", _header(lambda line: line.replace(b"region", b""))),
        "datasets/partners.csv:1:6: blank column header; name the column or delete it",
    ),
    (
        "csv",
        "unknown-extra-column",
        ("bytes", "datasets/partners.csv", _header(lambda line: line.replace(b"notes", b"comment"))),
        'datasets/partners.csv:1:8: column "comment" is not in schemas/partners.json',
    ),
    (
        "csv",
        "missing-column",
        (
            "bytes",
            "datasets/agreements.csv",
            lambda d: b"\n".join(b",".join(x.split(b",")[:-1]) if x else x for x in d.split(b"\n")),
        ),
        "datasets/agreements.csv:",
    ),  # a naive cut also breaks quoted rows; the header problem comes first
    (
        "csv",
        "empty-file",
        ("bytes", "datasets/agreements.csv", lambda d: b""),
        "datasets/agreements.csv:1:1: file is empty; it needs the header row",
    ),
    (
        "csv",
        "header-only",
        ("bytes", "datasets/pledges.csv", lambda d: d.split(b"\n")[0] + b"\n"),
        "datasets/pledges.csv:1:1: the file has a header but no rows; add at least one row",
    ),
    (
        "csv",
        "blank-line",
        ("bytes", "datasets/events.csv", _replace_line(3, lambda line: b"\n" + line)),
        "datasets/events.csv:3:1: blank line; delete it",
    ),
    # -- encodings -------------------------------------------------------------------------------------
    (
        "encoding",
        "latin-1",
        ("bytes", "datasets/partners.csv", lambda d: d.decode("utf-8").encode("latin-1", "replace")),
        "datasets/partners.csv:",
    ),  # line of the first non-ASCII name; message checked below
    (
        "encoding",
        "windows-1252-quotes",
        (
            "bytes",
            "datasets/events.csv",
            _replace_line(2, lambda line: line + b" \x93quoted\x94"),
        ),
        "datasets/events.csv:2:",
    ),
    (
        "encoding",
        "latin-1-after-other-non-ascii",
        # The file already holds UTF-8 text beyond ASCII (curly quotes, accented names) on earlier lines: the
        # byte offset of the bad byte must not be applied to the decoded characters.
        ("bytes", "datasets/events.csv", lambda d: d + "caf\u00e9-talks,2025-03-03".encode("latin-1") + b"\n"),
        "datasets/events.csv:LAST:4: byte 0xe9 is not UTF-8",
    ),
    (
        "encoding",
        "utf-16",
        ("bytes", "datasets/sources.csv", lambda d: d.decode("utf-8").encode("utf-16")),
        "datasets/sources.csv:1:1: file is UTF-16 or binary; save it as UTF-8",
    ),
    # -- bad values ------------------------------------------------------------------------------------
    (
        "value",
        "impossible-date",
        ("cell", "events", "date", "2025-02-30"),
        'datasets/events.csv:2:COL: date "2025-02-30" is not a valid date; write YYYY-MM-DD',
    ),
    (
        "value",
        "date-with-time",
        ("cell", "events", "date", "2025-02-03T10:00:00"),
        'datasets/events.csv:2:COL: date "2025-02-03T10:00:00" is not a valid date; write YYYY-MM-DD',
    ),
    (
        "value",
        "date-with-zone",
        ("cell", "events", "date", "2025-02-03Z"),
        'datasets/events.csv:2:COL: date "2025-02-03Z" is not a valid date; write YYYY-MM-DD',
    ),
    (
        "value",
        "date-not-padded",
        ("cell", "events", "date", "2025-2-3"),
        'datasets/events.csv:2:COL: date "2025-2-3" is not written as YYYY-MM-DD',
    ),
    (
        "value",
        "percent-sign",
        ("cell", "tariff_rates", "rate_pct", "15%"),
        'datasets/tariff_rates.csv:2:COL: rate_pct "15%" is not a number; write a plain number such as 15',
    ),
    (
        "value",
        "thousands-separator",
        ("cell", "pledges", "amount_usd_bn", "1,000"),
        'datasets/pledges.csv:2:COL: amount_usd_bn "1,000" is not a number',
    ),
    (
        "value",
        "negative",
        ("cell", "tariff_rates", "rate_pct", "-5"),
        "datasets/tariff_rates.csv:2:COL: rate_pct -5 is out of range; it must be between 0 and 1000",
    ),
    (
        "value",
        "nan",
        ("cell", "tariff_rates", "rate_pct", "NaN"),
        'datasets/tariff_rates.csv:2:COL: rate_pct "NaN" is not a number',
    ),
    (
        "value",
        "infinity",
        ("cell", "tariff_rates", "rate_pct", "Infinity"),
        "datasets/tariff_rates.csv:2:COL: rate_pct Infinity is out of range",
    ),
    (
        "value",
        "exponent",
        ("cell", "tariff_rates", "rate_pct", "1e1"),
        'datasets/tariff_rates.csv:2:COL: rate_pct "1e1" is not a plain number',
    ),
    (
        "value",
        "enum",
        ("cell", "partners", "kind", "planet"),
        'datasets/partners.csv:2:COL: kind "planet" is not an allowed value; use one of: country, territory, bloc, all',
    ),
    (
        "value",
        "id-with-space",
        ("cell", "events", "event_id", "kor talks"),
        'datasets/events.csv:2:COL: event_id "kor talks" is not valid; use a lowercase slug',
    ),
    (
        "value",
        "id-with-capitals",
        ("cell", "agreements", "agreement_id", "KOR-Deal"),
        'datasets/agreements.csv:2:COL: agreement_id "KOR-Deal" is not valid; use a lowercase slug',
    ),
    (
        "value",
        "lowercase-partner-code",
        ("cell", "events", "partner_id", "kor"),
        'datasets/events.csv:2:COL: partner_id "kor" is not in datasets/partners.csv',
    ),
    (
        "value",
        "required-missing",
        ("cell", "events", "title", ""),
        "datasets/events.csv:2:COL: title is required; fill it in",
    ),
    # -- broken references ----------------------------------------------------------------------------
    (
        "reference",
        "unknown-partner",
        ("cell", "tariff_rates", "partner_id", "XYZ"),
        'datasets/tariff_rates.csv:2:COL: partner_id "XYZ" is not in datasets/partners.csv; add it there first',
    ),
    (
        "reference",
        "unknown-source",
        ("cell", "events", "source_id", "no-such-source"),
        'datasets/events.csv:2:COL: source_id "no-such-source" is not in datasets/sources.csv',
    ),
    (
        "reference",
        "unknown-agreement",
        ("cell", "pledges", "agreement_id", "no-such-agreement"),
        'datasets/pledges.csv:2:COL: agreement_id "no-such-agreement" is not in datasets/agreements.csv',
    ),
    (
        "reference",
        "unknown-bloc",
        ("cell", "partners", "member_of", "ZZZ"),
        'datasets/partners.csv:2:COL: member_of "ZZZ" is not in datasets/partners.csv',
    ),
    ("reference", "duplicate-primary-key", ("append", "sources", {}), "datasets/sources.csv:LAST:1: source_id "),
    # -- rule breaks -----------------------------------------------------------------------------------
    (
        "rule",
        "overlapping-enacted-layers",
        ("append", "tariff_rates", {"rate_id": "overlap-corpus"}),
        "datasets/tariff_rates.csv:LAST:10: overlaps ",
    ),
    (
        "rule",
        "ended-before-it-began",
        ("cell", "tariff_rates", "ended_on", "2025-04-01"),
        "datasets/tariff_rates.csv:2:COL: ended_on 2025-04-01 is not after effective_from 2025-04-09",
    ),
    (
        "rule",
        "event-before-2025",
        ("cell", "events", "date", "2024-12-31"),
        "datasets/events.csv:2:COL: date 2024-12-31 is before 2025-01-01",
    ),
    (
        "rule",
        "fact-after-data-as-of",
        ("cell", "events", "date", "2030-01-01"),
        "datasets/events.csv:2:COL: date 2030-01-01 is after data_as_of",
    ),
    (
        "rule",
        "threatened-with-effective-date",
        ("cell", "tariff_rates", "stage", "threatened"),
        "datasets/tariff_rates.csv:2:10: a threatened rate has no effective_from",
    ),
    (
        "rule",
        "end-reason-without-end",
        ("cell", "tariff_rates", "ended_on", ""),
        "datasets/tariff_rates.csv:2:COL: end_reason is set but ended_on is empty",
    ),
    # -- hostile text ----------------------------------------------------------------------------------
    (
        "hostile",
        "script-tag",
        ("cell", "events", "summary", "Talks <script>alert(1)</script>"),
        'datasets/events.csv:2:COL: summary contains HTML ("<s")',
    ),
    (
        "hostile",
        "iframe",
        ("cell", "events", "title", "Deal <iframe src=https://example.com>"),
        'datasets/events.csv:2:COL: title contains HTML ("<i")',
    ),
    (
        "hostile",
        "onerror-attribute",
        ("cell", "agreements", "summary", "x <img src=x onerror=alert(1)>"),
        'datasets/agreements.csv:2:COL: summary contains HTML ("<i")',
    ),
    (
        "hostile",
        "markdown-javascript-link",
        ("cell", "events", "summary", "See [it](javascript:alert(1))"),
        "datasets/events.csv:2:COL: summary contains a script or data URL; remove it",
    ),
    (
        "hostile",
        "data-url",
        ("cell", "events", "notes", "See data:text/html;base64,PHNjcmlwdD4="),
        "datasets/events.csv:2:COL: notes contains a script or data URL; remove it",
    ),
    (
        "hostile",
        "html-entity",
        ("cell", "events", "title", "Tariffs &lt; 10%"),
        'datasets/events.csv:2:COL: title contains HTML ("&lt;")',
    ),
    (
        "hostile",
        "formula-equals",
        ("cell", "events", "title", "=1+1"),
        "datasets/events.csv:2:COL: title starts with '='",
    ),
    (
        "hostile",
        "formula-plus",
        ("cell", "pledges", "description", "+cmd|' /C calc'!A0"),
        "datasets/pledges.csv:2:COL: description starts with '+'",
    ),
    (
        "hostile",
        "formula-minus",
        ("cell", "sources", "title", "-2+3"),
        "datasets/sources.csv:2:COL: title starts with '-'",
    ),
    (
        "hostile",
        "formula-at",
        ("cell", "events", "participants", "@SUM(A1:A2)"),
        "datasets/events.csv:2:COL: participants starts with '@'",
    ),
    (
        "hostile",
        "formula-tab",
        ("cell", "events", "location", "\t=1"),
        "datasets/events.csv:2:COL: location starts with '\\t'",
    ),
    (
        "hostile",
        "control-character",
        ("cell", "events", "summary", "bell \x07 here"),
        "datasets/events.csv:2:COL: summary contains the control character U+0007; delete it",
    ),
    (
        "hostile",
        "megabyte-cell",
        ("cell", "events", "summary", BIG),
        "datasets/events.csv:2:COL: summary is 1000000 characters long; shorten it to 2000 or fewer",
    ),
    (
        "hostile",
        "http-url",
        ("cell", "sources", "url", "http://example.com/a"),
        'datasets/sources.csv:2:COL: url "http://example.com/a" is not an https URL',
    ),
    # -- text that deceives the eye (Trojan Source), and cells that look filled but are empty ---------
    (
        "hostile",
        "bidi-override",
        ("cell", "events", "title", "Talks end \u202eevil"),
        "datasets/events.csv:2:COL: title contains a bidirectional control character (U+202E), which can make "
        "a reader see other text than is there; delete it",
    ),
    (
        "hostile",
        "bidi-isolate",
        ("cell", "agreements", "title", "Deal \u2066x\u2069"),
        "datasets/agreements.csv:2:COL: title contains a bidirectional control character (U+2066)",
    ),
    (
        "hostile",
        "zero-width-space",
        ("cell", "sources", "title", "Proclamation\u200b 11021"),
        "datasets/sources.csv:2:COL: title contains a zero-width character (U+200B)",
    ),
    (
        "hostile",
        "zero-width-joiner",
        ("cell", "pledges", "description", "a\u200db"),
        "datasets/pledges.csv:2:COL: description contains a zero-width character (U+200D)",
    ),
    (
        "hostile",
        "word-joiner",
        ("cell", "combination_rules", "summary", "Goods\u2060 excluded."),
        "datasets/combination_rules.csv:2:COL: summary contains a zero-width character (U+2060)",
    ),
    (
        "hostile",
        "byte-order-mark-inside-a-cell",
        ("cell", "partners", "name", "Korea\ufeff"),
        "datasets/partners.csv:2:COL: name contains a zero-width character (U+FEFF)",
    ),
    (
        "value",
        "no-break-space-only",
        ("cell", "events", "title", "\u00a0"),
        "datasets/events.csv:2:COL: title holds only whitespace (U+00A0); fill it in",
    ),
    (
        "value",
        "em-spaces-only",
        ("cell", "product_lists", "title", "\u2003\u2003"),
        "datasets/product_lists.csv:2:COL: title holds only whitespace (U+2003); fill it in",
    ),
    # -- text that would break a feed or a calendar ---------------------------------------------------
    (
        "hostile",
        "calendar-property-injection-in-a-title",
        ("cell", "events", "title", "Talks\r\nBEGIN:VEVENT\r\nSUMMARY:injected"),
        "datasets/events.csv:2:COL: title holds a line break; write it on one line",
    ),
    (
        "hostile",
        "hundred-kilobyte-cell",
        ("cell", "combination_rules", "notes", "x" * 100_000),
        "datasets/combination_rules.csv:2:COL: notes is 100000 characters long; shorten it to 3000 or fewer",
    ),
    # -- combination rules ----------------------------------------------------------------------------
    (
        "value",
        "rule-unknown-authority",
        ("cell", "combination_rules", "authority", "section-999"),
        'datasets/combination_rules.csv:2:COL: authority "section-999" is not an allowed value; use one of: ',
    ),
    (
        "rule",
        "rule-period-reversed",
        ("cell", "combination_rules", "valid_until", "2025-04-01"),
        "datasets/combination_rules.csv:2:COL: valid_until 2025-04-01 is not after valid_from 2025-04-05",
    ),
    (
        "reference",
        "rule-unknown-partner",
        ("cell", "combination_rules", "partner_id", "XYZ"),
        'datasets/combination_rules.csv:2:COL: partner_id "XYZ" is not in datasets/partners.csv',
    ),
    (
        "reference",
        "rule-unknown-source",
        ("cell", "combination_rules", "source_id", "no-such-source"),
        'datasets/combination_rules.csv:2:COL: source_id "no-such-source" is not in datasets/sources.csv',
    ),
    (
        "rule",
        "rules-that-contradict",
        (
            "append",
            "combination_rules",
            {
                "rule_id": "contra-corpus",
                "authority": "section-232",
                "product_scope": "steel",
                "by_authority": "ieepa-reciprocal",
                "by_product_scope": "",
            },
        ),
        "datasets/combination_rules.csv:LAST:2: contradicts wld-recip-excl-232-steel-2025-04-05 (line 2)",
    ),
    # -- pledges --------------------------------------------------------------------------------------
    (
        "rule",
        "yearly-amount-without-years",
        ("cell", "pledges", "amount_basis", "per-year"),
        "datasets/pledges.csv:2:COL(first_year): a per-year amount needs first_year",
    ),
    (
        "value",
        "unknown-pledger",
        ("cell", "pledges", "pledged_by", "aliens"),
        'datasets/pledges.csv:2:COL: pledged_by "aliens" is not an allowed value; use one of: government, companies',
    ),
    # -- product codes --------------------------------------------------------------------------------
    (
        "value",
        "hts-code-with-letters",
        ("cell", "product_codes", "hts_code", "87A3"),
        'datasets/product_codes.csv:2:COL: hts_code "87A3" is not valid; write the HTS code as digits only',
    ),
    (
        "value",
        "hts-code-with-a-dot",
        ("cell", "product_codes", "hts_code", "72.06"),
        'datasets/product_codes.csv:2:COL: hts_code "72.06" is not valid; write the HTS code as digits only',
    ),
    (
        "value",
        "hts-code-of-impossible-precision",
        ("cell", "product_codes", "hts_code", "720"),
        'datasets/product_codes.csv:2:COL: hts_code "720" is not valid',
    ),
    (
        "reference",
        "duplicate-code-in-one-list",
        ("append", "product_codes", {}),
        'datasets/product_codes.csv:LAST:1: list_id "wld-232-steel-2026-04-06-annex-i-a" with hts_code "',
    ),
    # -- hostile metadata ------------------------------------------------------------------------------
    (
        "metadata",
        "path-traversal",
        ("json", "datapackage.json", _resource("events", path="datasets/../../etc/passwd")),
        "datapackage.json:LINE: resource \"events\" path 'datasets/../../etc/passwd' must not contain '..'; "
        'write "datasets/events.csv"',
    ),
    (
        "metadata",
        "absolute-path",
        ("json", "datapackage.json", _resource("events", path="/etc/passwd")),
        "datapackage.json:LINE: resource \"events\" path '/etc/passwd' must be a relative path",
    ),
    (
        "metadata",
        "url-path",
        ("json", "datapackage.json", _resource("events", path="https://example.com/e.csv")),
        "datapackage.json:LINE: resource \"events\" path 'https://example.com/e.csv' must be a relative path",
    ),
    (
        "metadata",
        "schema-outside-schemas",
        ("json", "datapackage.json", _resource("events", schema="datasets/events.csv")),
        "datapackage.json:LINE: resource \"events\" schema 'datasets/events.csv' must be a file directly "
        "inside schemas/",
    ),
    (
        "metadata",
        "schema-not-json",
        ("text", "schemas/pledges.json", '{"fields": [ {"name": "pledge_id",, }]}'),
        "schemas/pledges.json:1:35: not valid JSON",
    ),
    (
        "metadata",
        "descriptor-not-json",
        ("text", "datapackage.json", '{"name": "tariff-ledger"\n"resources": []}'),
        "datapackage.json:2:1: not valid JSON",
    ),
    (
        "metadata",
        "schema-does-not-match-csv",
        ("json", "schemas/events.json", _rename_field("summary", "abstract")),
        'datasets/events.csv:1:8: column "summary" is not in schemas/events.json',
    ),
    (
        "metadata",
        "missing-resource",
        (
            "json",
            "datapackage.json",
            lambda d: {**d, "resources": [r for r in d["resources"] if r["name"] != "pledges"]},
        ),
        'datapackage.json:1:1: resource "pledges" is missing',
    ),
    (
        "metadata",
        "data-as-of-not-a-date",
        ("json", "datapackage.json", lambda d: {**d, "data_as_of": "soon"}),
        'datapackage.json:1:1: data_as_of "soon" is not a date; write YYYY-MM-DD',
    ),
]

# Accepted: safe variations that must validate cleanly.
ACCEPTED = [
    ("encoding", "utf-8-bom", ("bytes", "datasets/partners.csv", lambda d: b"\xef\xbb\xbf" + d)),
    ("encoding", "crlf-line-ends", ("bytes", "datasets/events.csv", lambda d: d.replace(b"\n", b"\r\n"))),
    ("value", "namibia-na", ("cell", "events", "partner_id", "NAM")),
    ("value", "tricky-but-valid-text", ("cell", "events", "title", 'a < b & c, "quotes" 😀 שלום')),
    ("value", "hebrew-title", ("cell", "events", "title", "שיחות סחר בין ישראל לארצות הברית")),
    ("value", "arabic-summary", ("cell", "events", "summary", "محادثات تجارية بين الأردن والولايات المتحدة.")),
    ("value", "emoji-in-notes", ("cell", "events", "notes", "Flag: 🏳️ and a long note.")),
    ("hostile", "feed-specials", ("cell", "events", "title", "Talks ]]> & 'x' \"y\" > end")),
    (
        "hostile",
        "calendar-specials-in-a-summary",
        ("cell", "events", "summary", "a; b, c\\ d\nBEGIN:VEVENT\nEND:VCALENDAR"),
    ),
]

__all__ = ["ACCEPTED", "CASES", "json"]
