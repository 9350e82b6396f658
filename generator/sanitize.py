"""Cleaning raw HTML written in Markdown, for documents that allow it (``allow_html: true``).

Raw HTML is cleaned by Ammonia (through nh3) to a short allow-list of harmless elements and
attributes, then re-serialised as XHTML, so that what reaches the EPUB is well-formed and
what reaches WeasyPrint can neither run code nor fetch anything. ``id`` and ``style`` are
never kept: an id could collide with the generated ones and break the EPUB, and a style
could name a ``url()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import lxml.html

# lxml.html and nh3 are imported where they are used: most documents hold no raw HTML, and
# importing them is 8 ms of every build's start-up.

# Phrasing content only: these may appear inside a paragraph, a heading or a footnote.
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "del", "dfn", "em", "i", "img", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
})
# Flow content: what an HTML block written between paragraphs may hold.
BLOCK_TAGS = INLINE_TAGS | frozenset({
    "aside", "blockquote", "caption", "col", "colgroup", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# Elements an author may open in one HTML block and close in a later one, Markdown between.
SPLIT_CONTAINERS = frozenset({"aside", "blockquote", "details", "div", "dl", "dd", "figure", "ol", "section", "table",
                              "tbody", "td", "th", "tr", "ul", "li"})
# Removed together with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "form", "textarea", "select", "button", "video", "audio", "canvas", "title",
})
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
VOID_ELEMENTS = frozenset({"br", "hr", "img", "wbr", "col"})
COMMENT = re.compile(r"<!--(?:(?!-->).)*-->", re.DOTALL)


# Inline elements that need no permission: without attributes they can neither fetch, run nor
# hide anything, and authors write them in ordinary Markdown (a line break in a table cell, keys).
HARMLESS_INLINE = frozenset({"abbr", "b", "br", "cite", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q", "s",
                             "samp", "small", "strong", "sub", "sup", "u", "var", "wbr"})
HTML_ELEMENTS = frozenset({
    "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo", "blockquote", "body",
    "br", "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data", "datalist", "dd", "del",
    "details", "dfn", "dialog", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer",
    "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
    "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark", "marquee", "math",
    "menu", "meta", "meter", "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param",
    "picture", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script", "search", "section", "select",
    "slot", "small", "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody",
    "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var",
    "video", "wbr",
})
TAG = re.compile(r"^<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^>]*)?\s*(/?)>$", re.DOTALL)


def is_harmless_tag(fragment: str) -> bool:
    """Whether raw inline HTML is one tag of HARMLESS_INLINE with no attributes (<br>, </kbd>, <br/>)."""
    found = TAG.match(fragment.strip())
    return bool(found) and found.group(2).lower() in HARMLESS_INLINE and not (found.group(3) or "").strip()


def is_plain_text_tag(fragment: str) -> bool:
    """Whether what parses as a tag names no HTML element (`Option<T>`, `<Vec>`): text, not markup."""
    found = TAG.match(fragment.strip())
    return bool(found) and found.group(2).lower() not in HTML_ELEMENTS


@dataclass(frozen=True)
class RawReference:
    """A URL named in raw HTML (an ``img`` source or an ``a`` target), with its line in the fragment."""

    kind: str  # "image" or "link"
    url: str
    line: int  # 1 for the fragment's first line


def is_comment(fragment: str) -> bool:
    """Whether a raw HTML fragment is nothing but comments (harmless; dropped, never an error)."""
    return COMMENT.sub("", fragment).strip() == "" and "<!--" in fragment


def clean_block(fragment: str) -> str:
    """A raw HTML block reduced to the allow-list, as XHTML."""
    return to_xhtml(_clean(fragment, BLOCK_TAGS))


def clean_inline(fragment: str) -> str:
    """Raw HTML inside a paragraph reduced to phrasing elements, as XHTML."""
    return to_xhtml(_clean(fragment, INLINE_TAGS))


def _clean(fragment: str, tags: frozenset[str]) -> str:
    """Ammonia with our allow-list: no scripts, handlers, styles, ids or non-web URLs."""
    import nh3

    return nh3.clean(
        fragment,
        tags=set(tags),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items() if tag == "*" or tag in tags},
        url_schemes=set(LINK_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def references(fragment: str) -> list[RawReference]:
    """Every image source and link target in a raw fragment, before cleaning (so none slips by)."""
    root = _parse(fragment)
    found: list[RawReference] = []
    for element in root.iter("img", "a"):
        if element.tag == "img":
            found.append(RawReference("image", (element.get("src") or "").strip(), element.sourceline or 1))
        elif element.get("href") is not None:
            found.append(RawReference("link", element.get("href", "").strip(), element.sourceline or 1))
    return found


def to_xhtml(html: str) -> str:
    """Re-serialise an HTML fragment as XHTML: every element closed, void ones self-closed."""
    root = _parse(html)
    return escape(root.text or "", quote=False) + "".join(_element(child) for child in root)


def _parse(html: str) -> lxml.html.HtmlElement:
    """Parse a fragment under a wrapping div. lxml's HTML parser takes any bad markup, but finds
    nothing at all in a fragment that is only a declaration (`<!DOCTYPE html>`): that is empty."""
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.fragment_fromstring(html, create_parent="div") if html.strip() else _empty()
    except lxml.etree.ParserError:
        return _empty()


def _empty() -> lxml.html.HtmlElement:
    """An empty wrapping div."""
    import lxml.html

    return lxml.html.fragment_fromstring("<div></div>")


def _element(element: lxml.html.HtmlElement) -> str:
    """One element, its content and its tail as XHTML text."""
    tail = escape(element.tail or "", quote=False)
    if not isinstance(element.tag, str):  # a comment or processing instruction: dropped
        return tail
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in element.attrib.items())
    if element.tag == "img" and "alt" not in element.attrib:
        attributes += ' alt=""'  # required for accessibility and by EPUBCheck's accessibility checks
    if element.tag in VOID_ELEMENTS:
        return f"<{element.tag}{attributes} />{tail}"
    inner = escape(element.text or "", quote=False) + "".join(_element(child) for child in element)
    return f"<{element.tag}{attributes}>{inner}</{element.tag}>{tail}"


class _OpenTags(HTMLParser):
    """The block elements a raw HTML block opens and leaves open, and those it closes without opening."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.closed_only: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SPLIT_CONTAINERS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in SPLIT_CONTAINERS:
            return
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
        else:
            self.closed_only.append(tag)


def unbalanced(fragment: str) -> tuple[list[str], list[str]]:
    """The container elements a raw block leaves open (outermost first) and those it only closes.

    Authors split an element around Markdown with blank lines (`<details>`, blank line, text,
    blank line, `</details>`), and Markdown sees three blocks; these lists let the chapter's tree
    put the Markdown back inside the element.
    """
    parser = _OpenTags()
    parser.feed(fragment)
    parser.close()
    return parser.open, parser.closed_only
