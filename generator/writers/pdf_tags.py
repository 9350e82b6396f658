"""The PDF/UA structure tree WeasyPrint 70 writes, repaired where its HTML cannot say more.

WeasyPrint tags every text box it draws: the margin boxes (running heads, footers, "Page n of N")
become ``Span`` elements that are in no element's ``/K``, and a contents entry's generated
leader dots and page number become ``Link`` elements nested inside the entry's ``Link``. Both
are fixed here, after layout, on the PDF's objects as pydyf holds them before they are written
(a ``write_pdf`` finisher, :func:`tag_repair`), so the PDF is written once and never read back:

- marked content that the tree does not reach is page furniture: its ``BDC`` becomes
  ``/Artifact <</Type /Pagination>>`` and the parent tree forgets it;
- leader dots (text of a ``Link`` two ``Link``\\ s deep) become layout artifacts;
- every link keeps one ``Link`` element, holding all its text and one annotation a line;
- a heading's anonymous block (a second ``H1`` inside the first) gives its kids to the heading;
- a link annotation's ``/Contents`` (WeasyPrint writes the target's id) becomes the words the
  writer gives for its target and the page the target is on.

The first four read the shapes WeasyPrint 70 writes (its marked-content operands, the Links
three deep), so they run only on that release (``engine.TAG_REPAIR``); footnotes and tables are
told to WeasyPrint while it tags (``engine.notes_and_whole_tables``). The objects the repairs
leave unreferenced (the furniture's elements, merged annotations, the ``Span`` s emptied by
``engine.lift_text_spans``) are not written: pdf_pack.py writes what the catalogue reaches, in
object streams. Everything here is deterministic (no dates, no random ids), so builds stay
reproducible.

In pydyf's objects a reference is ``b"12 0 R"``, a marked-content id in a ``K`` array an int,
a name a ``str`` such as ``"/Link"``; the pages are ``pdf.pages["Kids"]``, flat as
``[number, 0, "R", ...]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from generator.engine import TAG_REPAIR, applies, marked_reference, pdf_array, referenced, structure_kids
from generator.writers.pdf_pack import write_packed

Mark = tuple[int, int]  # (page index, MCID)
Describe = Callable[[str, int], str | None]  # (target id, its page from 1) -> the link's description
Finisher = Callable[[Any, Any], None]  # WeasyPrint's write_pdf finisher: (laid-out document, pydyf.PDF)
HEADINGS = {f"/H{level}" for level in range(1, 7)}
NULL = b"null"


def tag_repair(describe: Describe | None = None, before: Finisher | None = None) -> Finisher:
    """A finisher for ``write_pdf`` that runs ``before`` (the writer's own), then repairs the tree
    and describes the links (see above); on WeasyPrint 70 the PDF is then written by pdf_pack.py."""

    def finish(document: Any, pdf: Any) -> None:
        if before is not None:
            before(document, pdf)
        repair_tags(document, pdf, describe)

    return finish


def repair_tags(document: Any, pdf: Any, describe: Describe | None = None) -> None:
    """Page furniture and leader dots made artifacts, one ``Link`` per link, links described, in
    pydyf's objects; on another WeasyPrint release (one warning line, engine.TAG_REPAIR) only the
    links' descriptions are written, and pydyf writes the file as WeasyPrint asks."""
    if "StructTreeRoot" in pdf.catalog and applies(TAG_REPAIR):  # an untagged PDF (bench/ledger.py) has no tree
        repair_structure(pdf)
        write_packed_instead(pdf)
    if describe is not None:
        describe_links(pdf, target_pages(document), describe)


def write_packed_instead(pdf: Any) -> None:
    """Have WeasyPrint's ``pdf.write(output, version, identifier, compress)`` call write what the
    catalogue reaches (pdf_pack.py), on this one object; an uncompressed PDF (WeasyPrint's
    ``uncompressed_pdf``, never asked for here) is left to pydyf."""
    own = pdf.write

    def write(output: Any, version: Any, identifier: Any, compress: bool) -> None:
        if compress:
            write_packed(pdf, output, version, identifier)
        else:
            own(output, version, identifier, compress)

    pdf.write = write


def repair_structure(pdf: Any) -> None:
    """Furniture and leader dots as artifacts, one ``Link`` per link with one annotation a line, one element per heading."""
    tree = Tree(pdf)
    furniture = tree.unreached_marks()
    leaders = tree.leader_marks()
    tree.flatten_links(leaders)
    tree.merge_nested_headings()
    for index, page in enumerate(tree.pages):
        mark_artifacts(tree.get(page["Contents"]), index, furniture, leaders)
        tree.merge_line_annotations(page)
    tree.forget_marks(furniture | leaders)
    tree.store_parent_tree()


class Tree:
    """The structure tree of a pydyf PDF, its parent tree read into a dict, with the repairs."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.root = self.get(pdf.catalog["StructTreeRoot"])
        kids = pdf.pages["Kids"]
        self.pages = [pdf.objects[number] for number in kids[0::3]]
        self.page_index = {number: index for index, number in enumerate(kids[0::3])}
        flat = self.get(self.root["ParentTree"])["Nums"]
        # The parent tree's flat /Nums (WeasyPrint writes no /Kids) as a dict; the pages' arrays stay live.
        self.nums: dict[int, Any] = {int(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}

    def get(self, reference: bytes) -> Any:
        """The object a reference names."""
        return referenced(self.pdf, reference)

    def page_of(self, element: Any) -> int:
        """The page index an element's ``/Pg`` names."""
        return self.page_index[int(element["Pg"].split()[0])]

    def children(self, element: Any) -> Iterator[Any]:
        """The structure elements among an element's kids."""
        return structure_kids(element, self.pdf)

    def descendants(self, element: Any) -> Iterator[Any]:
        """Every structure element under ``element``, depth first, itself included."""
        pending = [element]
        while pending:
            current = pending.pop()
            yield current
            pending.extend(reversed(list(self.children(current))))

    def elements(self) -> Iterator[Any]:
        """Every element of the tree."""
        for top in self.children(self.root):
            yield from self.descendants(top)

    def unreached_marks(self) -> set[Mark]:
        """Marked content whose element is outside the tree: WeasyPrint's margin boxes."""
        inside = {element.number for element in self.elements()}
        return {(page, mcid) for page, refs in self.nums.items() if isinstance(refs, list)
                for mcid, ref in enumerate(refs) if isinstance(ref, bytes) and ref != NULL
                and int(ref.split()[0]) not in inside}

    def leader_marks(self) -> set[Mark]:
        """The dots of ``leader()``: a ``::after`` inside a link is a Link, the leader inside it another."""
        marks: set[Mark] = set()
        for element in self.elements():
            if is_link(element):
                for inner in filter(is_link, self.children(element)):
                    for leader in filter(is_link, self.children(inner)):
                        marks |= {(self.page_of(leader), k) for k in leader["K"] if isinstance(k, int)}
        return marks

    def flatten_links(self, leaders: set[Mark]) -> None:
        """Give each outermost ``Link`` all the content and annotations of the elements inside it."""
        for element in list(self.elements()):
            if is_link(element) and not is_link(self.get(element["P"])) and any(self.children(element)):
                element["K"] = pdf_array(self.link_content(element, element, leaders))

    def link_content(self, top: Any, element: Any, leaders: set[Mark]) -> Iterator[Any]:
        """The kids of ``element`` and of everything inside it, re-parented to ``top``, in reading order."""
        for kid in element["K"]:
            if isinstance(kid, int):
                page = self.page_of(element)
                if (page, kid) not in leaders:
                    self.nums[page][kid] = top.reference
                    yield kid if page == self.page_of(top) else marked_reference(kid, element["Pg"])
                continue
            obj = self.get(kid) if isinstance(kid, bytes) else {}  # an inline /MCR is kept as it is
            if "S" in obj:
                yield from self.link_content(top, obj, leaders)
                continue
            if obj.get("Type") == "/OBJR":
                self.nums[int(self.get(obj["Obj"])["StructParent"])] = top.reference
            yield kid

    def merge_nested_headings(self) -> None:
        """An anonymous block of a heading (WeasyPrint tags it as a second H1 inside the first) gives its kids to the heading."""
        for element in list(self.elements()):
            if element["S"] in HEADINGS and self.get(element["P"]).get("S") not in HEADINGS \
                    and any(c["S"] in HEADINGS for c in self.children(element)):
                element["K"] = pdf_array(self.heading_content(element))

    def heading_content(self, top: Any) -> Iterator[Any]:
        """The kids of ``top``, a nested heading's kids lifted into it and re-parented."""
        for kid in top["K"]:
            obj = self.get(kid) if isinstance(kid, bytes) else None
            if obj is None or obj.get("S") not in HEADINGS:
                yield kid
                continue
            for inner in obj["K"]:
                inner_obj = self.get(inner) if isinstance(inner, bytes) else None
                if inner_obj is not None and "S" in inner_obj:
                    inner_obj["P"] = top.reference
                elif isinstance(inner, int):
                    page = self.page_of(obj)
                    self.nums[page][inner] = top.reference
                    if page != self.page_of(top):
                        inner = marked_reference(inner, obj["Pg"])
                yield inner

    def merge_line_annotations(self, page: Any) -> None:
        """One link annotation per line of a link, its /Rect the union of the line's.

        WeasyPrint writes an annotation for each box of a link: a contents entry has four on one
        line (the entry, its number, its leader, its page number), so a screen reader announced
        four links. Those of one ``Link`` element to one target whose rectangles share a line
        become the first of them (its /StructParent kept); the others leave the page, the element
        and the parent tree. A link broken over two lines keeps one annotation a line.
        """
        annotations = page.get("Annots")
        if not annotations:
            return
        kept = []
        lines: dict[tuple[bytes, bytes], list[Any]] = {}
        for reference in annotations:
            annot = self.get(reference)
            owner = self.nums.get(int(annot.get("StructParent", -1)))
            if annot.get("Subtype") != "/Link" or not isinstance(owner, bytes):
                kept.append(reference)
                continue
            group = lines.setdefault((owner, link_target(annot)), [])
            line = next((first for first in group if same_line(first, annot)), None)
            if line is None:
                group.append(annot)
                kept.append(reference)
                continue
            line["Rect"] = union(line["Rect"], annot["Rect"])
            self.drop_annotation(self.get(owner), annot)
        page["Annots"] = pdf_array(kept)

    def drop_annotation(self, link: Any, annot: Any) -> None:
        """Take an annotation out of its ``Link``'s kids and out of the parent tree."""
        link["K"] = pdf_array(k for k in link["K"] if not (isinstance(k, bytes) and self.names_annotation(k, annot)))
        del self.nums[int(annot["StructParent"])]

    def names_annotation(self, reference: bytes, annot: Any) -> bool:
        """Whether a kid is the ``/OBJR`` of ``annot``."""
        obj = self.get(reference)
        return obj.get("Type") == "/OBJR" and obj["Obj"] == annot.reference

    def forget_marks(self, marks: set[Mark]) -> None:
        """Artifacts belong to no element: their parent-tree slots become null."""
        for page, mcid in marks:
            self.nums[page][mcid] = NULL

    def store_parent_tree(self) -> None:
        """Write the edited parent tree back as the flat ``/Nums`` it was read from."""
        flat = []
        for key in sorted(self.nums):
            flat.extend((key, self.nums[key]))
        self.get(self.root["ParentTree"])["Nums"] = pdf_array(flat)


def is_link(element: Any) -> bool:
    """Whether the element is a ``Link``."""
    return element.get("S") == "/Link"


def link_target(annot: Any) -> bytes:
    """What a link annotation leads to, as a key: its destination's name or its action, serialised."""
    target = annot.get("Dest", annot.get("A"))
    return target.data if hasattr(target, "data") else repr(target).encode()


def mark_artifacts(stream: Any, index: int, furniture: set[Mark], leaders: set[Mark]) -> None:
    """Rewrite a page's marked content: furniture as pagination artifacts, leaders as layout ones.

    WeasyPrint 70 opens marked content with three operands in a row: the tag as a name
    (``"/Span"``), a property list holding its MCID alone, and ``b"BDC"``."""
    import pydyf

    items = stream.stream
    for position in range(1, len(items) - 1):
        properties = items[position]
        if isinstance(properties, pydyf.Dictionary) and items[position + 1] == b"BDC" and "MCID" in properties:
            mark = (index, properties["MCID"])
            kind = "/Pagination" if mark in furniture else "/Layout" if mark in leaders else None
            if kind is not None:
                items[position - 1] = "/Artifact"
                items[position] = pydyf.Dictionary({"Type": kind})


def same_line(first: Any, other: Any) -> bool:
    """Whether two annotations' rectangles overlap vertically (a zero-height one touching counts)."""
    a, b = sorted(float(v) for v in first["Rect"][1::2]), sorted(float(v) for v in other["Rect"][1::2])
    return a[0] <= b[1] and b[0] <= a[1]


def union(first: Any, other: Any) -> Any:
    """The smallest rectangle holding both, as [left bottom right top]."""
    xs = [float(v) for v in (*first[0::2], *other[0::2])]
    ys = [float(v) for v in (*first[1::2], *other[1::2])]
    return pdf_array(round(v, 4) for v in (min(xs), min(ys), max(xs), max(ys)))


def target_pages(document: Any) -> dict[str, int]:
    """The page (from 1) of every anchor of a laid-out document, the first it is on (where its
    named destination points)."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    return found


def describe_links(pdf: Any, targets: dict[str, int], describe: Describe) -> None:
    """Each internal link's ``/Contents`` in words: what it leads to and on which page."""
    import pydyf

    for number in pdf.pages["Kids"][0::3]:
        for reference in pdf.objects[number].get("Annots") or []:
            annot = pdf.objects[int(reference.split()[0])]
            dest = annot.get("Dest")
            target = dest.string if isinstance(dest, pydyf.String) else ""
            words = describe(target, targets[target]) if target in targets else None
            if words:
                annot["Contents"] = pydyf.String(words)
