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

