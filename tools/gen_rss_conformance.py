#!/usr/bin/env python3
"""Writes the generated part of tests/fixtures/rss/conformance/: small feeds,
each with a .expect file saying what it must yield.

The expectations are stated here by hand, next to each variant (the date a
written date means in UTC, the title a character reference makes), from the
specifications named in tests/fixtures/rss/SOURCES.md; nothing is computed
by muniscope's parser. The one computed expectation is the content-derived id
of an entry without id and link (rss_parse.h content_id), which this script
computes with its own FNV-1a.

Run from the repository root (rewrites the generated files, g-*.xml and
g-*.expect; the hand-written h-*.xml feeds are left alone):

    python3 tools/gen_rss_conformance.py

.expect format (tests/connectors/rss_conformance_test.cpp reads it), one
"key: value" per line, '#' comments; \\uXXXX escapes in values:
    content-type: <HTTP Content-Type>       optional
    url: <the feed's address>               optional
    error: <part of the refusal>            the feed must be refused
    dialect: RSS 2.0                        optional
    note: <part of a note>                  optional; "note: -" = no notes
    count: <items>
    item                                    starts the next item, in order
    id: / title: / link: / date: / edited:  ("date: unknown" = no readable date)
    text~: <part of the text>
"""
import os
import sys

OUT = os.path.join("tests", "fixtures", "rss", "conformance")
FEED_URL = "https://www.musterstadt.example/aktuelles/feed.xml"

written = []
os.makedirs(OUT, exist_ok=True)
for old in os.listdir(OUT):
    if old.startswith("g-"):
        os.remove(os.path.join(OUT, old))


def esc(v):
    out = []
    for ch in v:
        if ord(ch) < 0x20 or ch in "\u00a0\u200b" or 0x7f <= ord(ch) < 0xa0:
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def emit(name, body, expect, comment):
    """body: str (written UTF-8) or bytes; expect: list of lines."""
    assert name not in written, name
    written.append(name)
    data = body.encode("utf-8") if isinstance(body, str) else body
    with open(os.path.join(OUT, "g-" + name + ".xml"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, "g-" + name + ".expect"), "w", encoding="utf-8") as f:
        f.write("# " + comment + "\n")
        for line in expect:
            f.write(line + "\n")


def item_expect(id=None, title=None, link=None, date=None, edited=None, text=None):
    lines = ["item"]
    if id is not None:
        lines.append("id: " + esc(id))
    if title is not None:
        lines.append("title: " + esc(title))
    if link is not None:
        lines.append("link: " + esc(link))
    if date is not None:
        lines.append("date: " + date)
    if edited is not None:
        lines.append("edited: " + edited)
    if text is not None:
        lines.append("text~: " + esc(text))
    return lines


def rss2(items_xml, ns="", decl='<?xml version="1.0" encoding="UTF-8"?>', version="2.0"):
    return (decl + "\n<rss version=\"" + version + "\"" + ns + ">\n<channel>\n"
            "<title>Stadt Musterstadt</title>\n<link>https://www.musterstadt.example/</link>\n"
            "<description>Pressemitteilungen</description>\n" + items_xml + "</channel>\n</rss>\n")


NS_DC = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
NS_DCT = ' xmlns:dcterms="http://purl.org/dc/terms/"'
NS_ATOM = ' xmlns:atom="http://www.w3.org/2005/Atom"'
NS_MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/"'

# ---------------------------------------------------------------------------
# Dates. Each: (name, as written, UTC it means or "unknown", source).
# 2024-12-03 is a Tuesday (Dienstag).
RFC822 = [
    ("gmt", "Tue, 03 Dec 2024 10:00:00 GMT", "2024-12-03T10:00:00Z", "RFC 822 5.1 GMT"),
    ("ut", "Tue, 03 Dec 2024 10:00:00 UT", "2024-12-03T10:00:00Z", "RFC 822 5.1 UT"),
    ("utc", "Tue, 03 Dec 2024 10:00:00 UTC", "2024-12-03T10:00:00Z", "UTC as written in feeds"),
    ("z", "Tue, 03 Dec 2024 10:00:00 Z", "2024-12-03T10:00:00Z", "RFC 822 military Z = UT"),
    ("plus0100", "Tue, 03 Dec 2024 10:00:00 +0100", "2024-12-03T09:00:00Z", "RFC 822 local differential"),
    ("minus0500", "Tue, 03 Dec 2024 10:00:00 -0500", "2024-12-03T15:00:00Z", "RFC 822 local differential"),
    ("plus0530", "Tue, 03 Dec 2024 10:00:00 +0530", "2024-12-03T04:30:00Z", "RFC 822 local differential with minutes"),
    ("minus0000", "Tue, 03 Dec 2024 10:00:00 -0000", "2024-12-03T10:00:00Z", "RFC 2822 3.3 -0000"),
    ("plus01colon00", "Tue, 03 Dec 2024 10:00:00 +01:00", "2024-12-03T09:00:00Z", "offset with a colon, as templates write it"),
    ("est", "Tue, 03 Dec 2024 10:00:00 EST", "2024-12-03T15:00:00Z", "RFC 822 EST -5"),
    ("edt", "Tue, 03 Dec 2024 10:00:00 EDT", "2024-12-03T14:00:00Z", "RFC 822 EDT -4"),
    ("cst", "Tue, 03 Dec 2024 10:00:00 CST", "2024-12-03T16:00:00Z", "RFC 822 CST -6"),
    ("cdt", "Tue, 03 Dec 2024 10:00:00 CDT", "2024-12-03T15:00:00Z", "RFC 822 CDT -5"),
    ("mst", "Tue, 03 Dec 2024 10:00:00 MST", "2024-12-03T17:00:00Z", "RFC 822 MST -7"),
    ("mdt", "Tue, 03 Dec 2024 10:00:00 MDT", "2024-12-03T16:00:00Z", "RFC 822 MDT -6"),
    ("pst", "Tue, 03 Dec 2024 10:00:00 PST", "2024-12-03T18:00:00Z", "RFC 822 PST -8"),
    ("pdt", "Tue, 03 Dec 2024 10:00:00 PDT", "2024-12-03T17:00:00Z", "RFC 822 PDT -7"),
    ("ast", "Tue, 03 Dec 2024 10:00:00 AST", "2024-12-03T14:00:00Z", "Atlantic Standard Time -4"),
    ("adt", "Tue, 03 Dec 2024 10:00:00 ADT", "2024-12-03T13:00:00Z", "Atlantic Daylight Time -3"),
    ("akst", "Tue, 03 Dec 2024 10:00:00 AKST", "2024-12-03T19:00:00Z", "Alaska Standard Time -9"),
    ("akdt", "Tue, 03 Dec 2024 10:00:00 AKDT", "2024-12-03T18:00:00Z", "Alaska Daylight Time -8"),
    ("hst", "Tue, 03 Dec 2024 10:00:00 HST", "2024-12-03T20:00:00Z", "Hawaii Standard Time -10"),
    ("nst", "Tue, 03 Dec 2024 10:00:00 NST", "2024-12-03T13:30:00Z", "Newfoundland Standard Time -3:30"),
    ("cet", "Tue, 03 Dec 2024 10:00:00 CET", "2024-12-03T09:00:00Z", "CET +1"),
    ("cest", "Tue, 03 Dec 2024 10:00:00 CEST", "2024-12-03T08:00:00Z", "CEST +2"),
    ("met", "Tue, 03 Dec 2024 10:00:00 MET", "2024-12-03T09:00:00Z", "MET +1"),
    ("mest", "Tue, 03 Dec 2024 10:00:00 MEST", "2024-12-03T08:00:00Z", "MEST +2"),
    ("mez", "Di, 03 Dez 2024 10:00:00 MEZ", "2024-12-03T09:00:00Z", "German: MEZ +1, Di, Dez"),
    ("mesz", "Fr, 01 Mai 2026 12:00:00 MESZ", "2026-05-01T10:00:00Z", "German: MESZ +2, Mai"),
    ("wet", "Tue, 03 Dec 2024 10:00:00 WET", "2024-12-03T10:00:00Z", "WET +0"),
    ("west", "Tue, 03 Dec 2024 10:00:00 WEST", "2024-12-03T09:00:00Z", "WEST +1"),
    ("eet", "Tue, 03 Dec 2024 10:00:00 EET", "2024-12-03T08:00:00Z", "EET +2"),
    ("eest", "Tue, 03 Dec 2024 10:00:00 EEST", "2024-12-03T07:00:00Z", "EEST +3"),
    ("bst", "Tue, 03 Dec 2024 10:00:00 BST", "2024-12-03T09:00:00Z", "British Summer Time +1"),
    ("mil-a", "Tue, 03 Dec 2024 10:00:00 A", "2024-12-03T10:00:00Z", "military A: RFC 2822 4.3 reads as -0000"),
    ("mil-m", "Tue, 03 Dec 2024 10:00:00 M", "2024-12-03T10:00:00Z", "military M: RFC 2822 4.3 reads as -0000"),
    ("mil-n", "Tue, 03 Dec 2024 10:00:00 N", "2024-12-03T10:00:00Z", "military N: RFC 2822 4.3 reads as -0000"),
    ("mil-y", "Tue, 03 Dec 2024 10:00:00 Y", "2024-12-03T10:00:00Z", "military Y: RFC 2822 4.3 reads as -0000"),
    ("mil-j", "Tue, 03 Dec 2024 10:00:00 J", "unknown", "military J is not used (RFC 822)"),
    ("de-full", "Dienstag, 03 Dezember 2024 10:00:00 +0100", "2024-12-03T09:00:00Z", "German full day and month names"),
    ("de-maerz", "Mi, 11 M\u00e4r 2026 08:15:00 MEZ", "2026-03-11T07:15:00Z", "German M\u00e4r"),
    ("de-mrz", "Mo, 07 Mrz 2022 09:00:00 MEZ", "2022-03-07T08:00:00Z", "German Mrz"),
    ("de-okt", "Do, 15 Okt 2026 18:30:00 MESZ", "2026-10-15T16:30:00Z", "German Okt"),
    ("de-juni", "Mi, 10 Juni 2026 14:00:00 MESZ", "2026-06-10T12:00:00Z", "German Juni"),
    ("de-dots", "Di., 03. Dez. 2024 10:00 MEZ", "2024-12-03T09:00:00Z", "German abbreviations with dots, no seconds"),
    ("de-noday", "03 Dez 2024 10:00:00 MEZ", "2024-12-03T09:00:00Z", "no day name"),
    ("de-september", "Montag, 07 September 2026 07:00:00 MESZ", "2026-09-07T05:00:00Z", "German September"),
    ("de-januar", "Do, 01 Januar 2026 00:30:00 MEZ", "2025-12-31T23:30:00Z", "German Januar, crossing the year"),
    ("en-full", "Tuesday, 03 December 2024 10:00:00 GMT", "2024-12-03T10:00:00Z", "English full names"),
    ("one-digit-day", "Tue, 3 Dec 2024 10:00:00 GMT", "2024-12-03T10:00:00Z", "RFC 822 1*2DIGIT day"),
    ("no-day-name", "03 Dec 2024 10:00:00 GMT", "2024-12-03T10:00:00Z", "RFC 822 [day ,] optional"),
    ("no-seconds", "Tue, 03 Dec 2024 10:00 GMT", "2024-12-03T10:00:00Z", "RFC 822 seconds optional"),
    ("no-space-after-comma", "Tue,03 Dec 2024 10:00:00 GMT", "2024-12-03T10:00:00Z", "no space after the comma"),
    ("lowercase", "tue, 03 dec 2024 10:00:00 gmt", "2024-12-03T10:00:00Z", "names in lower case"),
    ("sept", "Tue, 03 Sept 2024 10:00:00 GMT", "2024-09-03T10:00:00Z", "Sept"),
    ("yy-2024", "Tue, 03 Dec 24 10:00:00 GMT", "2024-12-03T10:00:00Z", "two-digit year 24: RFC 2822 4.3 pivot, 2024"),
    ("yy-2002", "Thu, 05 Sep 02 00:00:01 GMT", "2002-09-05T00:00:01Z", "two-digit year 02 -> 2002"),
    ("yy-1982", "Sun, 20 Jun 82 10:00:00 GMT", "1982-06-20T10:00:00Z", "two-digit year 82 -> 1982 (RFC 822's own example year)"),
    ("yy-pivot-49", "Fri, 01 Jan 49 00:00:00 GMT", "2049-01-01T00:00:00Z", "pivot: 49 -> 2049"),
    ("yy-pivot-50", "Sun, 01 Jan 50 00:00:00 GMT", "1950-01-01T00:00:00Z", "pivot: 50 -> 1950"),
    ("leap-day", "Thu, 29 Feb 2024 12:00:00 +0000", "2024-02-29T12:00:00Z", "29 February of a leap year"),
    ("no-zone", "Tue, 03 Dec 2024 10:00:00", "unknown", "RFC 822 requires a zone: no guess"),
    ("bad-offset-75", "Tue, 03 Dec 2024 10:00:00 +0575", "unknown", "minutes 75: no offset"),
    ("bad-offset-25", "Tue, 03 Dec 2024 10:00:00 +2500", "unknown", "hours 25: no offset"),
    ("bad-hour", "Tue, 03 Dec 2024 25:00:00 GMT", "unknown", "hour 25"),
    ("bad-day", "Sat, 31 Nov 2024 10:00:00 GMT", "unknown", "31 November"),
    ("bad-month", "Tue, 03 Foo 2024 10:00:00 GMT", "unknown", "month Foo"),
    ("bad-zone", "Tue, 03 Dec 2024 10:00:00 XYZ", "unknown", "zone XYZ"),
    ("german-numeric", "03.12.2024 10:00", "unknown", "a German numeric date without zone"),
    ("words", "gestern", "unknown", "no date"),
    ("bad-feb29", "Thu, 29 Feb 2023 12:00:00 GMT", "unknown", "29 February 2023"),
]

W3C = [
    ("z", "2024-12-03T10:00:00Z", "2024-12-03T10:00:00Z", "W3C-DTF complete date plus time, Z"),
    ("plus0100", "2024-12-03T10:00:00+01:00", "2024-12-03T09:00:00Z", "W3C-DTF TZD +hh:mm"),
    ("minus0500", "2024-12-03T10:00:00-05:00", "2024-12-03T15:00:00Z", "W3C-DTF TZD -hh:mm"),
    ("no-seconds", "2024-12-03T10:00+01:00", "2024-12-03T09:00:00Z", "W3C-DTF hours and minutes"),
    ("fraction", "2024-12-03T10:00:00.5Z", "2024-12-03T10:00:00.500Z", "W3C-DTF decimal fraction of a second"),
    ("fraction-long", "2024-12-03T10:00:00.123456-05:00", "2024-12-03T15:00:00.123Z", "fraction beyond ms"),
    ("fraction-comma", "2024-12-03T10:00:00,25Z", "2024-12-03T10:00:00.250Z", "ISO 8601 decimal comma"),
    ("w3c-example", "1997-07-16T19:20:30.45+01:00", "1997-07-16T18:20:30.450Z", "the W3C-DTF note's own example"),
    ("w3c-example-min", "1997-07-16T19:20+01:00", "1997-07-16T18:20:00Z", "the W3C-DTF note's own example"),
    ("date", "2024-12-03", "2024-12-03T00:00:00Z", "W3C-DTF complete date: its start, UTC"),
    ("year-month", "2024-12", "2024-12-01T00:00:00Z", "W3C-DTF year and month: its start, UTC"),
    ("year", "2024", "2024-01-01T00:00:00Z", "W3C-DTF year: its start, UTC"),
    ("zoneless", "2024-12-03T10:00:00", "unknown", "W3C-DTF requires a TZD with a time: no guess"),
    ("zoneless-min", "2024-12-03T10:00", "unknown", "W3C-DTF requires a TZD with a time: no guess"),
    ("space", "2024-12-03 10:00:00+01:00", "2024-12-03T09:00:00Z", "space instead of T"),
    ("space-zone", "2024-12-03 10:00:00 +0100", "2024-12-03T09:00:00Z", "space before a basic offset"),
    ("basic-offset", "2024-12-03T10:00:00+0100", "2024-12-03T09:00:00Z", "ISO 8601 basic offset"),
    ("hour-offset", "2024-12-03T10:00:00+01", "2024-12-03T09:00:00Z", "ISO 8601 offset in hours"),
    ("basic", "20241203T100000Z", "2024-12-03T10:00:00Z", "ISO 8601 basic format"),
    ("yy-date", "24-12-03", "2024-12-03T00:00:00Z", "two-digit year (ISO 8601:1988), pivot 24 -> 2024"),
    ("yy-time", "97-07-16T19:20+01:00", "1997-07-16T18:20:00Z", "two-digit year, pivot 97 -> 1997"),
    ("lowercase", "2024-12-03t10:00:00z", "2024-12-03T10:00:00Z", "lower-case t and z"),
    ("offset-75", "2024-12-03T10:00:00+05:75", "unknown", "offset minutes 75: refused"),
    ("offset-24", "2024-12-03T10:00:00+24:00", "unknown", "offset 24 hours: refused"),
    ("month-13", "2024-13-03T10:00:00Z", "unknown", "month 13"),
    ("feb-30", "2024-02-30", "unknown", "30 February"),
    ("hour-25", "2024-12-03T25:00:00Z", "unknown", "hour 25"),
    ("midnight-24", "2024-12-03T24:00:00Z", "2024-12-04T00:00:00Z", "ISO 8601 24:00 is the end of the day"),
    ("leap-second", "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z", "a leap second, read as :59"),
]

for name, text, utc, why in RFC822:
    emit("date-rfc822-" + name,
         rss2("<item><title>Datum</title><link>https://www.musterstadt.example/a/1</link>"
              "<pubDate>" + text + "</pubDate></item>\n"),
         ["count: 1"] + item_expect(id="https://www.musterstadt.example/a/1", date=utc),
         "RSS 2.0 pubDate '" + text + "': " + why)

for name, text, utc, why in W3C:
    emit("date-w3c-" + name,
         rss2("<item><title>Datum</title><link>https://www.musterstadt.example/a/1</link>"
              "<dc:date>" + text + "</dc:date></item>\n", ns=NS_DC),
         ["count: 1"] + item_expect(id="https://www.musterstadt.example/a/1", date=utc),
         "Dublin Core dc:date '" + text + "': " + why)

# Date elements: which one is read, in which order.
emit("date-dcterms-issued",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link>"
          "<dcterms:issued>2024-12-03T10:00:00+01:00</dcterms:issued></item>\n", ns=NS_DCT),
     ["count: 1"] + item_expect(date="2024-12-03T09:00:00Z"), "dcterms:issued (DCMI terms)")
emit("date-dcterms-created",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link>"
          "<dcterms:created>2024-12-02</dcterms:created></item>\n", ns=NS_DCT),
     ["count: 1"] + item_expect(date="2024-12-02T00:00:00Z"), "dcterms:created, a date")
emit("date-dcterms-modified",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link>"
          "<dcterms:modified>2024-12-05T08:00:00Z</dcterms:modified></item>\n", ns=NS_DCT),
     ["count: 1"] + item_expect(date="2024-12-05T08:00:00Z"),
     "dcterms:modified alone: the only date there is")
emit("date-pubdate-first",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link>"
          "<dc:date>2024-12-01T00:00:00Z</dc:date>"
          "<pubDate>Tue, 03 Dec 2024 10:00:00 GMT</pubDate>"
          "<dcterms:modified>2024-12-05T08:00:00Z</dcterms:modified></item>\n", ns=NS_DC + NS_DCT),
     ["count: 1"] + item_expect(date="2024-12-03T10:00:00Z", edited="2024-12-05T08:00:00Z"),
     "pubDate before dc:date; dcterms:modified later is the edit")
emit("date-unreadable-pubdate-dcdate",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link>"
          "<pubDate>irgendwann</pubDate><dc:date>2024-12-01T12:00:00+01:00</dc:date></item>\n",
          ns=NS_DC),
     ["count: 1"] + item_expect(date="2024-12-01T11:00:00Z"),
     "an unreadable pubDate, a readable dc:date")
emit("date-none",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link></item>\n"),
     ["count: 1"] + item_expect(date="unknown"), "no date at all")
emit("date-empty",
     rss2("<item><title>D</title><link>https://www.musterstadt.example/a/1</link>"
          "<pubDate>  </pubDate></item>\n"),
     ["count: 1"] + item_expect(date="unknown"), "an empty pubDate")


def atom1(entries, extra_ns=""):
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
            + extra_ns + '>\n<title>Musterstadt</title><id>urn:x-musterstadt:feed</id>'
            '<updated>2024-12-03T10:00:00Z</updated>\n' + entries + '</feed>\n')


emit("date-atom-published-updated",
     atom1("<entry><id>urn:x:1</id><title>A</title><published>2024-12-03T10:00:00+01:00</published>"
           "<updated>2024-12-04T10:00:00+01:00</updated></entry>\n"),
     ["count: 1"] + item_expect(id="urn:x:1", date="2024-12-03T09:00:00Z",
                                edited="2024-12-04T09:00:00Z"),
     "RFC 4287: published, updated later = edited")
emit("date-atom-updated-only",
     atom1("<entry><id>urn:x:1</id><title>A</title><updated>2024-12-03T10:00:00Z</updated></entry>\n"),
     ["count: 1"] + item_expect(id="urn:x:1", date="2024-12-03T10:00:00Z"),
     "RFC 4287: updated is required, published optional")
emit("date-atom-fraction",
     atom1("<entry><id>urn:x:1</id><title>A</title><updated>2003-12-13T18:30:02.25+01:00</updated></entry>\n"),
     ["count: 1"] + item_expect(id="urn:x:1", date="2003-12-13T17:30:02.250Z"),
     "RFC 4287 3.3 example date")
emit("date-atom-zoneless",
     atom1("<entry><id>urn:x:1</id><title>A</title><published>2024-12-03T10:00:00</published>"
           "<updated>2024-12-03T12:00:00Z</updated></entry>\n"),
     ["count: 1"] + item_expect(id="urn:x:1", date="2024-12-03T12:00:00Z"),
     "a zone-less published (not RFC 3339) is no instant: updated is read")

# ---------------------------------------------------------------------------
# Text: HTML5 character references in RSS titles (escaped in the XML, so
# the title's text holds the reference), numeric references 128-159.
ENTITIES = [
    ("szlig", "Stra&amp;szlig;e", "Stra\u00dfe"),
    ("uuml", "&amp;Uuml;ber &amp;uuml;ber", "\u00dcber \u00fcber"),
    ("auml-caps", "&amp;Auml;mter", "\u00c4mter"),
    ("eacute", "Caf&amp;eacute;", "Caf\u00e9"),
    ("bdquo", "&amp;bdquo;Zitat&amp;ldquo;", "\u201eZitat\u201c"),
    ("euro", "Preis: 5 &amp;euro;", "Preis: 5 \u20ac"),
    ("hellip", "Warten&amp;hellip;", "Warten\u2026"),
    ("dashes", "A &amp;ndash; B &amp;mdash; C", "A \u2013 B \u2014 C"),
    ("frac12", "&amp;frac12; Stunde", "\u00bd Stunde"),
    ("rarr", "&amp;rarr; Anmeldung", "\u2192 Anmeldung"),
    ("two-codepoints", "a &amp;NotEqualTilde; b", "a \u2242\u0338 b"),
    ("longest-name", "&amp;CounterClockwiseContourIntegral;", "\u2233"),
    ("copy", "&amp;copy; 2024 Stadt", "\u00a9 2024 Stadt"),
    ("legacy-copy", "&amp;copy 2024 Stadt", "\u00a9 2024 Stadt"),
    ("legacy-in-query", "a=1&amp;copy=2", "a=1&copy=2"),
    ("nbsp", "A&amp;nbsp;B", "A\u00a0B"),
    ("unknown-name", "&amp;foobar; bleibt", "&foobar; bleibt"),
    ("numeric-146", "Rathaus&amp;#146;s Tor", "Rathaus\u2019s Tor"),
    ("numeric-128", "&amp;#128; 10", "\u20ac 10"),
    ("numeric-150", "A &amp;#150; B", "A \u2013 B"),
    ("numeric-hex-93-94", "&amp;#x93;Hallo&amp;#x94;", "\u201cHallo\u201d"),
    ("numeric-8222", "&amp;#8222;Hallo&amp;#8220;", "\u201eHallo\u201c"),
    ("numeric-hex-astral", "Rathaus &amp;#x1F3DB;", "Rathaus \U0001F3DB"),
    ("double-escaped-amp", "Tom &amp;amp; Jerry", "Tom & Jerry"),
    ("html-tags", "&lt;b&gt;Wichtig:&lt;/b&gt; Sperrung", "Wichtig: Sperrung"),
]
for name, xml_title, title in ENTITIES:
    emit("text-entity-" + name,
         rss2("<item><title>" + xml_title + "</title><link>https://www.musterstadt.example/a/1</link>"
              "<pubDate>Tue, 03 Dec 2024 10:00:00 GMT</pubDate></item>\n"),
         ["count: 1"] + item_expect(title=title), "HTML5 character reference in an RSS title: " + name)

# Undeclared HTML entities written raw into the XML.
emit("text-raw-html-entities",
     rss2("<item><title>B&uuml;rgerb&uuml;ro &amp; Standesamt&nbsp;&ndash; ge&ouml;ffnet</title>"
          "<link>https://www.musterstadt.example/a/1</link></item>\n"),
     ["count: 1", "note: HTML entities XML does not know"]
     + item_expect(title="B\u00fcrgerb\u00fcro & Standesamt\u00a0\u2013 ge\u00f6ffnet"),
     "HTML entities XML does not declare, written raw: read as HTML names them")
emit("text-raw-entity-cdata",
     rss2("<item><title><![CDATA[Caf&eacute; &amp; Bar]]></title>"
          "<link>https://www.musterstadt.example/a/1</link></item>\n"),
     ["count: 1", "note: -"] + item_expect(title="Caf\u00e9 & Bar"),
     "references inside CDATA are HTML text of the title")

# Atom text constructs.
ATOM_TITLES = [
    ("text-blink", '<title type="text">History of the &lt;blink&gt; tag</title>', "History of the <blink> tag",
     "RFC 4287 3.1.1.1: type text is plain text"),
    ("default-blink", "<title>History of the &lt;blink&gt; tag</title>", "History of the <blink> tag",
     "RFC 4287 3.1.1: type defaults to text"),
    ("text-amp", '<title type="text">Tom &amp;amp; Jerry</title>', "Tom &amp; Jerry",
     "plain text is not decoded a second time"),
    ("html-blink", '<title type="html">History of the &amp;lt;blink&amp;gt; tag</title>',
     "History of the <blink> tag", "RFC 4287 3.1.1.2: escaped HTML, the tag itself escaped"),
    ("html-bold", '<title type="html">&lt;b&gt;Fett&lt;/b&gt; &amp;amp; mager</title>', "Fett & mager",
     "RFC 4287 3.1.1.2: escaped HTML"),
    ("html-entity", '<title type="html">Gr&amp;uuml;n&amp;auml;nderung</title>', "Gr\u00fcn\u00e4nderung",
     "HTML named references in an html title"),
    ("xhtml", '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Mit <b>Fett</b> &amp; mehr</div></title>',
     "Mit Fett & mehr", "RFC 4287 3.1.1.3: xhtml"),
    ("text-lt-literal", '<title type="text">a &lt; b &gt; c</title>', "a < b > c", "comparison signs in plain text"),
]
for name, xml_title, title, why in ATOM_TITLES:
    emit("text-atom-" + name,
         atom1("<entry><id>urn:x:1</id>" + xml_title + "<updated>2024-12-03T10:00:00Z</updated></entry>\n"),
         ["count: 1"] + item_expect(id="urn:x:1", title=title), why)

emit("text-media-title-rss",
     rss2("<item><media:title>Vorschaubild</media:title><title>Neue Kita er\u00f6ffnet</title>"
          "<link>https://www.musterstadt.example/a/1</link></item>\n"
          "<item><title>Zweite</title><media:title>Bild 2</media:title>"
          "<link>https://www.musterstadt.example/a/2</link></item>\n", ns=NS_MEDIA),
     ["count: 2"] + item_expect(title="Neue Kita er\u00f6ffnet") + item_expect(title="Zweite"),
     "the RSS title, not media:title (Media RSS)")
emit("text-media-title-only",
     rss2("<item><media:title>Nur Bildtitel</media:title>"
          "<link>https://www.musterstadt.example/a/1</link></item>\n", ns=NS_MEDIA),
     ["count: 1"] + item_expect(title="", link="https://www.musterstadt.example/a/1"),
     "only media:title: no title rather than the media's")
emit("text-media-title-atom",
     atom1("<entry><media:title>Bild</media:title><id>urn:x:1</id><title>Eintrag</title>"
           "<updated>2024-12-03T10:00:00Z</updated></entry>\n", extra_ns=NS_MEDIA),
     ["count: 1"] + item_expect(title="Eintrag"), "Atom title, not media:title")
emit("text-dc-title-rss1",
     '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
     'xmlns="http://purl.org/rss/1.0/"' + NS_DC + '>\n<channel rdf:about="https://www.musterstadt.example/">'
     '<title>T</title><link>https://www.musterstadt.example/</link><description>d</description></channel>\n'
     '<item rdf:about="https://www.musterstadt.example/a/1"><dc:title>Dublin-Core-Titel</dc:title>'
     '<link>https://www.musterstadt.example/a/1</link></item>\n</rdf:RDF>\n',
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/a/1", title="Dublin-Core-Titel"),
     "RSS 1.0 with the Dublin Core module's dc:title only")

# ---------------------------------------------------------------------------
# Encodings: bytes, declarations and HTTP's charset.


def enc_feed(title_bytes, decl_encoding=None, bom=b""):
    decl = b'<?xml version="1.0"?>' if decl_encoding == "" else (
        b'<?xml version="1.0" encoding="' + decl_encoding.encode() + b'"?>' if decl_encoding else b"")
    return (bom + decl + b'\n<rss version="2.0"><channel><title>T</title><link>https://www.musterstadt.example/</link>'
            b'<description>d</description>\n<item><title>' + title_bytes +
            b'</title><link>https://www.musterstadt.example/a/1</link></item>\n</channel></rss>\n')


LATIN1_STRASSE = "Stra\u00dfensperrung B\u00e4ckerweg"
ENCODINGS = [
    # name, bytes, content-type, expected title, note ("-" none, None unchecked), why
    ("latin1-declared", enc_feed(LATIN1_STRASSE.encode("latin-1"), "ISO-8859-1"), None, LATIN1_STRASSE, "-",
     "XML 1.0 4.3.3: as declared"),
    ("latin1-c1-is-cp1252", enc_feed(b"\x84Zitat\x93 50 \x80", "ISO-8859-1"), None, "\u201eZitat\u201c 50 \u20ac", "-",
     "WHATWG Encoding: the label iso-8859-1 is windows-1252"),
    ("latin1-label-c1", enc_feed(b"\x96 Bahnhof \x85", "latin1"), None, "\u2013 Bahnhof \u2026", "-",
     "WHATWG Encoding: latin1 is windows-1252"),
    ("us-ascii-high-byte", enc_feed(b"M\xe4rz \x80", "us-ascii"), None, "M\u00e4rz \u20ac", "-",
     "WHATWG Encoding: us-ascii is windows-1252"),
    ("cp819-alias", enc_feed(b"Gr\xfc\xdfe \x80", "cp819"), None, "Gr\u00fc\u00dfe \u20ac", "-",
     "WHATWG Encoding: cp819 is windows-1252"),
    ("windows-1252", enc_feed(b"\x84B\xfcrgerhaushalt\x93: 50.000 \x80", "windows-1252"), None,
     "\u201eB\u00fcrgerhaushalt\u201c: 50.000 \u20ac", "-", "windows-1252 as declared"),
    ("iso-8859-15-euro", enc_feed(b"Eintritt 5 \xa4", "ISO-8859-15"), None, "Eintritt 5 \u20ac", "-",
     "ISO-8859-15: 0xA4 is the euro sign"),
    ("http-charset-no-decl", enc_feed(LATIN1_STRASSE.encode("latin-1")), "application/rss+xml; charset=ISO-8859-1",
     LATIN1_STRASSE, "-", "RFC 7303 8.1: HTTP's charset, no declaration"),
    ("http-wins-over-decl", enc_feed(b"Eintritt 5 \xa4", "windows-1252"), "text/xml; charset=iso-8859-15",
     "Eintritt 5 \u20ac", "-", "RFC 7303 8.1: HTTP's charset wins over the declaration (0xA4 is \u20ac in -15, \u00a4 in 1252)"),
    ("http-utf8-decl-latin1-utf8-bytes", enc_feed(LATIN1_STRASSE.encode("utf-8"), "ISO-8859-1"),
     "application/rss+xml; charset=utf-8", LATIN1_STRASSE, "declared ISO-8859-1 but is UTF-8; read as UTF-8 (the server's Content-Type)",
     "RFC 7303: HTTP says UTF-8, the bytes are: the declaration is overridden (and its error said)"),
    ("http-utf8-but-latin1-bytes", enc_feed(LATIN1_STRASSE.encode("latin-1"), "ISO-8859-1"),
     "application/rss+xml; charset=utf-8", LATIN1_STRASSE, "read as ISO-8859-1 (the document's declaration)",
     "HTTP says UTF-8, the bytes are not, the document says ISO-8859-1: read so, and said"),
    ("http-latin1-decl-utf8-latin1-bytes", enc_feed(LATIN1_STRASSE.encode("latin-1"), "UTF-8"),
     "text/xml; charset=ISO-8859-1", LATIN1_STRASSE, "declared UTF-8 but is not UTF-8",
     "HTTP says ISO-8859-1 and wins; the document's wrong UTF-8 is said"),
    ("http-unknown-label", enc_feed(LATIN1_STRASSE.encode("latin-1"), "ISO-8859-1"), "text/xml; charset=x-nonsense",
     LATIN1_STRASSE, "-", "an HTTP label WHATWG does not know is ignored: the declaration governs"),
    ("mojibake-declared-latin1", enc_feed(LATIN1_STRASSE.encode("utf-8"), "ISO-8859-1"), None, LATIN1_STRASSE,
     "declared ISO-8859-1 but is UTF-8", "UTF-8 bytes under ISO-8859-1: read as UTF-8, said"),
    ("mojibake-http-latin1", enc_feed(LATIN1_STRASSE.encode("utf-8")), "text/xml; charset=iso-8859-1", LATIN1_STRASSE,
     "declared iso-8859-1 (by the server) but is UTF-8", "UTF-8 bytes under HTTP's iso-8859-1: read as UTF-8, said"),
    ("bom-wins", enc_feed(LATIN1_STRASSE.encode("utf-8"), "ISO-8859-1", bom=b"\xef\xbb\xbf"),
     "text/xml; charset=windows-1252", LATIN1_STRASSE, None, "RFC 7303 / WHATWG: a byte-order mark wins over all"),
    ("utf8-no-decl", enc_feed(LATIN1_STRASSE.encode("utf-8")), None, LATIN1_STRASSE, "-", "XML default UTF-8"),
    ("utf8-decl-without-encoding", enc_feed(LATIN1_STRASSE.encode("utf-8"), ""), None, LATIN1_STRASSE, "-",
     "a declaration without encoding: UTF-8"),
    ("declared-utf16-is-utf8", enc_feed(LATIN1_STRASSE.encode("utf-8"), "UTF-16"), None, LATIN1_STRASSE,
     "declared UTF-16 but is no UTF-16; read as UTF-8", "8-bit text labelled UTF-16 (no byte-order mark, no NUL bytes)"),
    ("declared-utf16-ascii", enc_feed(b"Rathaus", "UTF-16"), None, "Rathaus",
     "declared UTF-16 but is no UTF-16; read as UTF-8", "ASCII text labelled UTF-16"),
    ("decl-case", enc_feed(b"Gr\xfc\xdfe", "Iso-8859-1"), None, "Gr\u00fc\u00dfe", "-", "labels are case-insensitive"),
]
for name, data, ctype, title, note, why in ENCODINGS:
    exp = []
    if ctype:
        exp.append("content-type: " + ctype)
    if note:
        exp.append("note: " + note)
    exp += ["count: 1"] + item_expect(title=title)
    emit("enc-" + name, data, exp, why)

utf16 = ('<?xml version="1.0" encoding="UTF-16"?>\n<rss version="2.0"><channel><title>T</title>'
         '<link>https://www.musterstadt.example/</link><description>d</description>\n<item><title>'
         + LATIN1_STRASSE + '</title><link>https://www.musterstadt.example/a/1</link></item>\n</channel></rss>\n')
emit("enc-utf16le-bom", b"\xff\xfe" + utf16.encode("utf-16-le"), ["count: 1"] + item_expect(title=LATIN1_STRASSE),
     "UTF-16 with a byte-order mark (XML 1.0 4.3.3)")
emit("enc-utf8-declared-latin1-bytes", enc_feed(LATIN1_STRASSE.encode("latin-1"), "UTF-8"),
     ["error: declared UTF-8 but is not UTF-8 (byte 0xDF on line 3)"],
     "declared UTF-8, Latin-1 bytes, nothing else declared: refused with a message that says so")

# ---------------------------------------------------------------------------
# Identity.
emit("id-guid-permalink-no-link",
     rss2("<item><title>A</title><guid>https://www.musterstadt.example/news/7</guid></item>\n"),
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/news/7",
                                link="https://www.musterstadt.example/news/7"),
     "RSS 2.0: a guid without isPermaLink is a permalink: the link when there is no <link>")
emit("id-guid-permalink-true",
     rss2('<item><title>A</title><guid isPermaLink="true">https://www.musterstadt.example/news/8</guid></item>\n'),
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/news/8",
                                link="https://www.musterstadt.example/news/8"), "isPermaLink=\"true\"")
emit("id-guid-not-permalink",
     rss2('<item><title>A</title><guid isPermaLink="false">https://www.musterstadt.example/news/9</guid></item>\n'),
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/news/9", link=""),
     "isPermaLink=\"false\": an id, not a link")
emit("id-guid-not-url",
     rss2("<item><title>A</title><guid>news-42</guid></item>\n"),
     ["count: 1"] + item_expect(id="news-42", link=""), "a permalink guid that is no URL is no link")
emit("id-guid-and-link",
     rss2("<item><title>A</title><link>https://www.musterstadt.example/a/1</link>"
          "<guid>https://www.musterstadt.example/?p=1</guid></item>\n"),
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/?p=1",
                                link="https://www.musterstadt.example/a/1"), "<link> wins over a permalink guid")
emit("id-atom-link-in-rss",
     rss2('<item><title>A</title><atom:link href="https://www.musterstadt.example/a/5"/>'
          '<guid isPermaLink="false">x-5</guid></item>\n', ns=NS_ATOM),
     ["count: 1"] + item_expect(id="x-5", link="https://www.musterstadt.example/a/5"),
     "an atom:link (rel defaults to alternate) inside an RSS item")
emit("id-atom-link-rel-self-ignored",
     rss2('<item><title>A</title><atom:link rel="self" href="https://www.musterstadt.example/self"/>'
          '<atom:link rel="alternate" href="https://www.musterstadt.example/a/6"/></item>\n', ns=NS_ATOM),
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/a/6",
                                link="https://www.musterstadt.example/a/6"),
     "only the alternate atom:link is the link")
emit("id-relative-link-feed-url",
     rss2("<item><title>A</title><link>/aktuelles/meldung-1</link></item>\n"),
     ["count: 1"] + item_expect(link="https://www.musterstadt.example/aktuelles/meldung-1"),
     "a relative link resolves against the feed's address")
emit("id-xml-base-rss-item",
     rss2('<item xml:base="https://presse.musterstadt.example/2024/"><title>A</title><link>meldung-2</link></item>\n'),
     ["count: 1"] + item_expect(link="https://presse.musterstadt.example/2024/meldung-2"),
     "xml:base on an RSS item (XML Base)")
emit("id-xml-base-rss-channel",
     '<?xml version="1.0"?>\n<rss version="2.0"><channel xml:base="https://presse.musterstadt.example/">'
     '<title>T</title><link>/</link><description>d</description>'
     '<item><title>A</title><link>meldungen/3</link></item></channel></rss>\n',
     ["count: 1"] + item_expect(link="https://presse.musterstadt.example/meldungen/3"),
     "xml:base on the channel")
emit("id-xml-base-atom-nested",
     '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.musterstadt.example/">'
     '<title>B</title><id>urn:x:f</id><updated>2024-12-03T10:00:00Z</updated>'
     '<entry xml:base="2024/12/"><id>urn:x:1</id><title>A</title><link href="eintrag"/>'
     '<updated>2024-12-03T10:00:00Z</updated></entry></feed>\n',
     ["count: 1"] + item_expect(id="urn:x:1", link="https://blog.musterstadt.example/2024/12/eintrag"),
     "nested xml:base: the entry's relative base against the feed's")
emit("id-xml-base-relative-root",
     '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">'
     '<title>B</title><id>urn:x:f</id><updated>2024-12-03T10:00:00Z</updated>'
     '<entry><id>urn:x:1</id><title>A</title><link href="eintrag-1"/>'
     '<updated>2024-12-03T10:00:00Z</updated></entry></feed>\n',
     ["count: 1"] + item_expect(id="urn:x:1", link="https://www.musterstadt.example/blog/eintrag-1"),
     "a relative xml:base resolves against the feed's address")
emit("id-xml-base-on-link",
     '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
     '<title>B</title><id>urn:x:f</id><updated>2024-12-03T10:00:00Z</updated>'
     '<entry><id>urn:x:1</id><title>A</title><link xml:base="https://cdn.musterstadt.example/x/" href="y"/>'
     '<updated>2024-12-03T10:00:00Z</updated></entry></feed>\n',
     ["count: 1"] + item_expect(id="urn:x:1", link="https://cdn.musterstadt.example/x/y"),
     "xml:base on the link element itself")


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def content_id(title, date, text):
    return "content:%016x" % fnv1a64((title + "\x1f" + date + "\x1f" + text).encode("utf-8"))


emit("id-content-derived-rss",
     rss2("<item><title>Ohne Link</title><description>Nur Text.</description>"
          "<pubDate>Tue, 03 Dec 2024 10:00:00 GMT</pubDate></item>\n"
          "<item><title>Zweiter ohne Link</title><description>Anderer Text.</description></item>\n"),
     ["count: 2"]
     + item_expect(id=content_id("Ohne Link", "Tue, 03 Dec 2024 10:00:00 GMT", "Nur Text."), link="")
     + item_expect(id=content_id("Zweiter ohne Link", "", "Anderer Text."), date="unknown"),
     "neither guid nor link: an id from title, date as written and text (rss_parse.h content_id)")
emit("id-content-derived-atom",
     atom1("<entry><title>Ohne id</title><summary>Kurz.</summary><updated>2024-12-03T10:00:00Z</updated></entry>\n"),
     ["count: 1"] + item_expect(id=content_id("Ohne id", "2024-12-03T10:00:00Z", "Kurz."), link=""),
     "an Atom entry without id and link")
emit("id-nothing-at-all",
     rss2("<item><category>leer</category></item>\n<item><title>Da</title>"
          "<link>https://www.musterstadt.example/a/1</link></item>\n"),
     ["count: 1"] + item_expect(id="https://www.musterstadt.example/a/1"),
     "an item with no id, link, title, date or text is skipped")

print("wrote %d generated feeds to %s" % (len(written), OUT), file=sys.stderr)
