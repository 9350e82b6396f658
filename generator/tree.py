"""Element trees of chapter content: how markup is held between the stages, and how it is written.

A chapter is parsed once, right after Markdown, into an lxml element tree; every later pass
(glossary linking, link resolution, pictures) and every writer works on that tree, never on
HTML strings. lxml is used rather than a tree of our own because the raw HTML a document may
allow arrives as markup that lxml already parses, XPath keeps the writers' few transforms
short, and its serialiser writes well-formed XHTML by construction.

Elements in a tree carry no namespace (plain HTML names); a writer that needs ``epub:type``
adds it to a copy. The model treats a Fragment as a value: passes and writers copy the tree
before they change it (:meth:`Fragment.copy`), so a Fragment once built is never altered.
Attributes whose name starts with ``data-src-`` hold where an element was written in the
sources (line and column), for the passes' error messages; no output ever carries them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from lxml.etree import _Element as Element
else:
    Element = etree._Element

CONTAINER = "fragment"  # the tag of the element that holds a fragment's content
SOURCE_ATTRIBUTE = "data-src-"  # prefix of the source-position attributes (never serialised)
LINE, COLUMN = "data-src-line", "data-src-column"
WRITTEN_URL = "data-src-url"  # a URL as the author wrote it, where the raw-HTML cleaner removed it
EPUB_NS = "http://www.idpf.org/2007/ops"
VOID_ELEMENTS = frozenset({"area", "br", "col", "hr", "img", "input", "source", "track", "wbr"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                          remove_comments=True, remove_pis=True)


class Fragment:
    """A piece of XHTML content (a chapter body, a title, a definition) held as an element tree.

    The tree's root is a ``<fragment>`` container that no output ever shows: its text and
    children are the content. Two fragments are equal when they serialise to the same XHTML.
    """

    __slots__ = ("_root",)

    def __init__(self, root: Element) -> None:
        self._root = root

    @classmethod
    def parse(cls, xhtml: str) -> Fragment:
        """Parse XHTML content (elements without a namespace) into a fragment."""
        return cls(etree.fromstring(f"<{CONTAINER}>{xhtml}</{CONTAINER}>", _PARSER))

    def copy(self) -> Element:
        """A deep copy of the container, to change without touching this fragment."""
        return _deep_copy(self._root)

    def iter(self, *tags: str) -> Iterator[Element]:
        """The elements of the tree in document order (read-only use), optionally only some tags."""
        return self._root.iter(*tags) if tags else self._root.iter()

    @property
    def root(self) -> Element:
        """The container, for reading; change a :meth:`copy` instead."""
        return self._root

    def text(self) -> str:
        """The visible text, tags dropped."""
        return "".join(self._root.itertext())

    def xhtml(self) -> str:
        """The content as XHTML, as every writer starts from it (source positions dropped)."""
        return to_xhtml(self._root)

    def __bool__(self) -> bool:
        return bool(len(self._root) or (self._root.text or "").strip())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fragment) and self.xhtml() == other.xhtml()

    def __hash__(self) -> int:
        return hash(self.xhtml())

    def __repr__(self) -> str:
        return f"Fragment({self.xhtml()[:60]!r})"


def _deep_copy(root: Element) -> Element:
    """A deep copy of an element (lxml's own copy, which keeps the tail off the root)."""
    import copy

    copied = copy.deepcopy(root)
    copied.tail = None
    return copied


def to_xhtml(container: Element, epub_types: bool = False, positions: bool = False) -> str:
    """Serialise a container's content as XHTML: empty elements closed, source positions dropped.

    With ``epub_types`` the ``epub:`` prefix is declared on the wrapper only, so that the
    content's ``epub:type`` attributes need no declaration of their own in the output. With
    ``positions`` the source positions stay (for markup that is parsed again into a tree).
    """
    wrapper = etree.Element(CONTAINER, nsmap={"epub": EPUB_NS} if epub_types else None)
    wrapper.text = container.text
    for child in container:
        wrapper.append(_deep_copy(child))
        wrapper[-1].tail = child.tail
    _prepare(wrapper, xml=True, positions=positions)
    markup = etree.tostring(wrapper, encoding="unicode")
    if markup.endswith("/>"):  # an empty fragment
        return ""
    return markup[markup.index(">") + 1 : -len(f"</{CONTAINER}>")]


def to_html(container: Element) -> str:
    """Serialise a container's content as HTML (for WeasyPrint and the web page)."""
    wrapper = _deep_copy(container)
    _prepare(wrapper, xml=False)
    markup = etree.tostring(wrapper, encoding="unicode", method="html")
    if markup == f"<{CONTAINER}></{CONTAINER}>":
        return ""
    return markup[len(f"<{CONTAINER}>") : -len(f"</{CONTAINER}>")]


def _prepare(root: Element, xml: bool, positions: bool = False) -> None:
    """Drop source positions (unless kept); in XML, write every non-void empty element with an end tag."""
    for element in root.iter():
        for name in [n for n in element.attrib if n.startswith(SOURCE_ATTRIBUTE) and not positions]:
            del element.attrib[name]
        if xml and element.text is None and len(element) == 0 and element.tag not in VOID_ELEMENTS:
            element.text = ""


def position(element: Element) -> tuple[int, int]:
    """Where an element was written (line, column), or (0, 0) when the tree does not know."""
    line, column = element.get(LINE), element.get(COLUMN)
    return (int(line), int(column or 1)) if line and line.isdigit() else (0, 0)


def unwrap(element: Element) -> None:
    """Replace an element by its content (its text, children and tail stay where they were)."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    _append_text(parent, index, element.text)
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)  # moves the child (and its tail) out of element
    _append_text(parent, index + len(children), element.tail)
    element.tail = None
    parent.remove(element)


def _append_text(parent: Element, index: int, text: str | None) -> None:
    """Add text at a position among a parent's children: to the previous child's tail, or the parent's text."""
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


WIDE_TABLE, WIDER_TABLE = 6, 9  # columns beyond which a table is set smaller (PDF and EPUB)


def mark_wide_tables(root: Element) -> None:
    """Class a table of more than WIDE_TABLE columns ``wide``, of more than WIDER_TABLE ``wider``."""
    for table in root.iter("table"):
        row = next(table.iter("tr"), None)
        columns = sum(int(cell.get("colspan", "1") or 1) for cell in row if cell.tag in {"th", "td"}) if row is not None else 0
        size = "wider" if columns > WIDER_TABLE else "wide" if columns > WIDE_TABLE else ""
        if size:
            table.set("class", " ".join(filter(None, [table.get("class"), size])))


LONG_TOKEN = 20  # characters without a space beyond which a table cell's word gets break points
_BREAK_AFTER = re.compile(r"(?<=[/._\-:?&=#,;])(?=[^/._\-:?&=#,;])")
_SEGMENT = 12  # a run this long without punctuation may break (only where the line needs it)


def break_points(token: str) -> list[str]:
    """``token`` cut where a line may break: after URL and identifier punctuation, and every
    _SEGMENT characters of a longer run."""
    pieces = []
    for part in _BREAK_AFTER.split(token):
        pieces.extend(part[i:i + _SEGMENT] for i in range(0, len(part), _SEGMENT))
    return [piece for piece in pieces if piece]


def _with_break_points(text: str) -> list[str]:
    """``text`` as pieces with a break point (a ``wbr``) between each two."""
    pieces: list[str] = [""]
    for word in re.split(r"(\s+)", text):
        cuts = break_points(word) if len(word) > LONG_TOKEN and not word.isspace() else [word]
        pieces[-1] += cuts[0]
        pieces.extend(cuts[1:])
    return pieces


def break_long_words_in_cells(root: Element) -> None:
    """Give each word of more than LONG_TOKEN characters in a table cell (an address, a path, an
    identifier, a compound) ``wbr`` break points, so that a table that must fit a narrow column
    can wrap it instead of overflowing; a line breaks there only when it has to."""
    for cell in list(root.iter("td", "th")):
        for element in [cell, *cell.iterdescendants()]:
            if not isinstance(element.tag, str) or element.tag == "pre":
                continue
            if element is not cell and element.tail and len(element.tail) > LONG_TOKEN:
                _break_tail(element)
            if element.text and len(element.text) > LONG_TOKEN and element.tag != "wbr":
                _break_text(element)


def _break_text(element: Element) -> None:
    first, *rest = _with_break_points(element.text or "")
    element.text = first
    for index, piece in enumerate(rest):
        wbr = etree.Element("wbr")
        wbr.tail = piece
        element.insert(index, wbr)


def _break_tail(element: Element) -> None:
    first, *rest = _with_break_points(element.tail or "")
    element.tail = first
    anchor = element
    for piece in rest:
        wbr = etree.Element("wbr")
        wbr.tail = piece
        anchor.addnext(wbr)
        anchor = wbr


# A phone's column at 150 % in em of the table's text (foliate-js: 351 px of 22.8 px text, less
# some slack); the width of an average character (bold headers are wider) and a cell's side
# padding, in em.
PHONE_COLUMN_EM, CHARACTER_EM, CELL_PADDING_EM = 15.0, 0.65, 1.0
TABLE_FONT = {"": 1.0, "wide": 0.8 / 0.95, "wider": 0.7 / 0.95}  # epub.css: table.wide, table.wider
_WIDE_CHARACTER = re.compile("[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")


def longest_word(text: str) -> float:
    """The width, in average characters, of the longest piece of ``text`` a line cannot break:
    a word between spaces (a word over LONG_TOKEN characters between its break points), or one
    wide (CJK) character, which lines break around and which is about as wide as two."""
    pieces = [piece for word in text.split() for piece in _WIDE_CHARACTER.split(word)]
    pieces = [cut for piece in pieces for cut in (break_points(piece) if len(piece) > LONG_TOKEN else [piece])]
    return max([float(len(piece)) for piece in pieces] + [2.0] * bool(_WIDE_CHARACTER.search(text)) + [0.0])


def keep_words_whole(root: Element) -> None:
    """Class ``words`` the cells of the columns whose words may stay whole (epub.css breaks only
    between words there, elsewhere inside a word where it must): all columns when their longest
    words fit a phone's column side by side, else, in a table of up to WIDE_TABLE columns, the
    columns of shortest longest words that fit (years, amounts, names keep whole; a column of
    long words breaks them). Tables with spanning cells are left as they are."""
    for table in root.iter("table"):
        rows = [[cell for cell in row if cell.tag in {"th", "td"}] for row in table.iter("tr")]
        if not rows or any(cell.get("colspan", "1") != "1" or cell.get("rowspan", "1") != "1"
                           for row in rows for cell in row):
            continue
        count = max(len(row) for row in rows)
        words = [max((longest_word("".join(row[c].itertext())) for row in rows if c < len(row)), default=0.0)
                 for c in range(count)]
        size = next((name for name in ("wider", "wide") if name in (table.get("class") or "").split()), "")
        padding = CELL_PADDING_EM * (0.6 if size else 1.0)
        budget = (PHONE_COLUMN_EM / TABLE_FONT[size] - count * padding) / CHARACTER_EM
        kept: set[int] = set()
        if sum(words) <= budget:
            kept = set(range(count))
        elif count <= WIDE_TABLE:
            for column in sorted(range(count), key=lambda c: words[c]):
                if sum(words[c] for c in kept) + words[column] > budget:
                    break
                kept.add(column)
        for row in rows:
            for column, cell in enumerate(row):
                if column in kept:
                    cell.set("class", " ".join(filter(None, [cell.get("class"), "words"])))


def wrap_tables(root: Element) -> None:
    """Put each table in a ``div.table-wrap``, a box that scrolls sideways instead of clipping a wide table."""
    for table in list(root.iter("table")):
        wrap = etree.Element("div", {"class": "table-wrap"})
        wrap.tail, table.tail = table.tail, None
        table.addprevious(wrap)
        wrap.append(table)


def ids(container: Element) -> Iterator[tuple[str, Element]]:
    """Every id in a tree, with its element, in document order."""
    for element in container.iter():
        value = element.get("id")
        if value:
            yield value, element


def split_leading_paragraph(container: Element) -> tuple[Element, Element]:
    """Two copies of a container: the content of its first paragraph, and every block after it.

    A footnote's number and back-link go inside its first paragraph; the blocks that may follow
    (more paragraphs, a list, code) come after it. Content that does not start with a paragraph
    is all "after".
    """
    first, rest = etree.Element(CONTAINER), _deep_copy(container)
    lead = rest[0] if len(rest) else None
    if lead is not None and lead.tag == "p" and not (rest.text or "").strip():
        first = _deep_copy(lead)
        first.tag = CONTAINER
        first.attrib.clear()
        rest.text = lead.tail
        rest.remove(lead)
    return first, rest

