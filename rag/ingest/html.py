"""Saved web pages: the article's main text (trafilatura), with the page's own metadata.

trafilatura separates the main text from menus, link lists, comments and the footer, and reads the
title, date (htmldate), site name, byline and address from the page's metadata. What it leaves goes
through the same cleaning as the scraped seeds, so an inline "Tin liên quan" is cut here too.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import replace

from ..schema import Article
from ..text.normalise import nfc
from .base import Problem, Reader, Source, has_letters
from .clean import cleaned_article
from .guard import sniff

_LEAD_PAREN = re.compile(r"^\s*\(([^()]{2,30})\)\s*[-–]\s+(?=\S)")  # "(Dân trí) - Năm 2022, ..."
_TITLE_SEP = re.compile(r"\s+(?:[|\-–—»:]{1,2})\s+")
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode_page(data: bytes) -> str:
    """The page as text. Given bytes with no charset declared, lxml falls back on Latin-1 and turns
    every Vietnamese letter into mojibake; a saved page often declares none. So: the charset the page
    declares when Python knows it, else trafilatura's guess (UTF-8 first, then charset detection)."""
    from trafilatura.utils import decode_file

    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    elif (m := _DECLARED_CHARSET.search(data[:8192])) and _known_codec(m.group(1).decode("ascii")):
        text = data.decode(m.group(1).decode("ascii"), errors="replace")
    else:
        text = decode_file(data)
    return _XML_DECLARATION.sub("", text, count=1)  # lxml refuses text that still names an encoding


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def page_title(found: str | None, head_title: str, sitename: str | None) -> str:
    """trafilatura falls back on the first part of <title>, which on many portals is the portal's own
    name ("Cổng Thông tin điện tử tỉnh Bắc Giang - Yên Dũng: ..."): then the longest other part is
    the article's title."""
    parts = [p.strip() for p in _TITLE_SEP.split(head_title) if p.strip()]
    if found and len(parts) > 1 and found in parts:
        others = [p for p in parts if p != found and (not sitename or p.lower() != sitename.lower())]
        if others and len(max(others, key=len)) > len(found):
            return max(others, key=len)
    return found or head_title


def _mostly_table(text: str) -> bool:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    in_table = sum(len(ln) for ln in lines if ln.lstrip().startswith("|"))
    return in_table > 0.5 * sum(len(ln) for ln in lines)


class HtmlReader(Reader):
    suffixes = (".html", ".htm")

    def read(self, data: bytes, source: Source) -> Iterator[Article | Problem]:
        import trafilatura
        from lxml import etree
        from lxml import html as lxml_html

        if not data:
            yield Problem(source.name, "empty file")
            return
        if (kind := sniff(data)) not in ("html", "text"):
            yield Problem(source.name, f"not a web page (its content is {kind})")
            return
        try:
            tree = lxml_html.fromstring(decode_page(data))
        except (etree.ParserError, ValueError) as exc:
            yield Problem(source.name, f"not a readable web page ({exc})")
            return

        def extract(tables: bool):
            return trafilatura.bare_extraction(
                tree, with_metadata=True, include_comments=False, include_tables=tables, include_images=False
            )

        doc = extract(True)
        if doc is not None and doc.text and _mostly_table(doc.text):
            doc = extract(False)  # a layout table (older portals lay the whole page out in one) is no table
        if doc is None or not (doc.text or "").strip():
            yield Problem(source.name, "no article text found in the page")
            return
        title = nfc(page_title(doc.title, " ".join((tree.findtext(".//title") or "").split()), doc.sitename))
        lines = [ln for ln in nfc(doc.text).split("\n") if has_letters(ln)]
        if lines and " ".join(lines[0].split()) == title:
            lines = lines[1:]  # the page's own heading
        lead = None
        if lines and (m := _LEAD_PAREN.match(lines[0])):
            lead, lines[0] = m.group(1), lines[0][m.end() :]
        article = cleaned_article(
            source, lines, title, "no article text found in the page", date=doc.date, author=doc.author
        )
        if isinstance(article, Article):
            # the site's name from its metadata, else the source the text names, else the host
            publisher = doc.sitename or article.publisher or lead or doc.hostname
            article = replace(article, publisher=publisher, url=doc.url or source.url)
        yield article
