"""Feeds and calendars (for the render stage): an Atom feed of new events and data releases, and an
iCalendar file of what is scheduled (announced layers' start dates, planned ends, deadlines and
hearings, pledges' due dates), for the whole record and for each partner.

Every text from the data goes through lxml (Atom) or the iCalendar escaping below, so a cell can never
become markup or a calendar property. Dates only, no clock: the files are reproducible."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"


def _day(d) -> str:
    return f"{pd.Timestamp(d):%Y-%m-%d}"


def atom(title: str, feed_url: str, site_url: str, updated: str, entries: list[dict]) -> bytes:
    """entries: {"id", "title", "url", "updated" (YYYY-MM-DD), "summary"}, newest first."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})

    def sub(parent, tag, text=None, **attrs):
        e = etree.SubElement(parent, f"{{{ATOM}}}{tag}", **attrs)
        if text is not None:
            e.text = text
        return e

    sub(root, "title", title)
    sub(root, "id", feed_url)
    sub(root, "link", rel="self", href=feed_url, type="application/atom+xml")
    sub(root, "link", rel="alternate", href=site_url, type="text/html")
    sub(root, "updated", f"{updated}T00:00:00Z")
    author = sub(root, "author")
    sub(author, "name", "Tariff Ledger contributors")
    for e in entries:
        entry = sub(root, "entry")
        sub(entry, "title", e["title"])
        sub(entry, "id", e["id"])
        sub(entry, "link", rel="alternate", href=e["url"], type="text/html")
        sub(entry, "updated", f"{e['updated']}T00:00:00Z")
        sub(entry, "summary", e["summary"], type="text")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def ics_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, line breaks as \\n (a cell can never start a
    property of its own)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets; continuation lines start with a space (RFC 5545, 3.1)."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode("utf-8")) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += ch
    out.append(current)
    return [out[0]] + [" " + x for x in out[1:]]


def ics(name: str, items: list[dict], stamp: str) -> bytes:
    """items: {"uid", "day" (a date), "summary", "description", "url"}; all-day events."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tariff Ledger//Scheduled US tariff steps//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{ics_text(name)}",
    ]
    for it in items:
        start = it["day"]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ics_text(it['uid'])}",
            f"DTSTAMP:{stamp.replace('-', '')}T000000Z",
            f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_text(it['summary'])}",
            f"DESCRIPTION:{ics_text(it['description'])}",
            f"URL:{it['url']}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(x for line in lines for x in _fold(line)) + "\r\n").encode("utf-8")


def scheduled_items(views, owners: set[str] | None, describe_rate, site_url: str) -> list[dict]:
    """What is due, from the data: announced layers' start dates, planned ends of layers in force, events
    that are deadlines or hearings, pledges' due dates. owners: the partner's chain (None: everyone)."""
    t = views.tables
    items = []
    rates = t["tariff_rates"]
    mine = rates if owners is None else rates[rates["partner_id"].isin(owners)]
    for r in mine.itertuples():
        who = views.partner_name(r.partner_id)
        href = f"{site_url}partners/{r.partner_id.lower()}/#{r.rate_id}"
        if r.stage == "announced" and not pd.isna(r.effective_from) and r.rate_id in views.pending:
            items.append(
                {
                    "uid": f"{r.rate_id}-start@tariff-ledger",
                    "day": r.effective_from.date(),
                    "summary": f"Scheduled: {describe_rate(r)} ({who})",
                    "description": f"Announced on {_day(r.announced_on)}. {r.legal_instrument}".strip(),
                    "url": href,
                }
            )
        if r.stage == "enacted" and not pd.isna(r.ended_on) and r.ended_on >= views.as_of:
            items.append(
                {
                    "uid": f"{r.rate_id}-end@tariff-ledger",
                    "day": r.ended_on.date(),
                    "summary": f"Ends: {describe_rate(r)} ({who})",
                    "description": f"First day it no longer applies. {r.legal_instrument}".strip(),
                    "url": href,
                }
            )
    ev = t["events"]
    ev = ev[ev["kind"].isin(["deadline", "hearing"])]
    if owners is not None:
        ev = ev[ev["partner_id"].isin(owners)]
    pages = views.event_pages
    for e in ev.itertuples():
        items.append(
            {
                "uid": f"{e.event_id}@tariff-ledger",
                "day": e.date.date(),
                "summary": e.title,
                "description": e.summary,
                "url": f"{site_url}{pages[e.event_id]}#{e.event_id}",
            }
        )
    pl = t["pledges"]
    pl = pl[pl["due_by"].notna()] if owners is None else pl[pl["due_by"].notna() & pl["partner_id"].isin(owners)]
    for p in pl.itertuples():
        items.append(
            {
                "uid": f"{p.pledge_id}-due@tariff-ledger",
                "day": p.due_by.date(),
                "summary": f"Pledge due: {p.description[:120]} ({views.partner_name(p.partner_id)})",
                "description": p.horizon,
                "url": f"{site_url}partners/{p.partner_id.lower()}/#{p.pledge_id}",
            }
        )
    return sorted(items, key=lambda i: (i["day"], i["uid"]))


def first_day(items: list[dict]) -> date | None:
    return min((i["day"] for i in items), default=None)
