"""The PDF/UA structure tree WeasyPrint 70 writes, repaired where its HTML cannot say more.

WeasyPrint tags every text box it draws: the margin boxes (running heads, footers, "Page n of N")
become ``Span`` elements that are in no element's ``/K``, and a contents entry's generated
leader dots and page number become ``Link`` elements nested inside the entry's ``Link``. Both
are fixed here, after layout, on the PDF's objects with pypdf:

- marked content that the tree does not reach is page furniture: its ``BDC`` becomes
  ``/Artifact <</Type /Pagination>>`` and the parent tree forgets it;
- leader dots (text of a ``Link`` two ``Link``\\ s deep) become layout artifacts;
- every link keeps one ``Link`` element, holding all its text and one annotation a line;
- a link annotation's ``/Contents`` (WeasyPrint writes the target's id) becomes the words the
  writer gives for its target and the page the target is on.

The first three read the shapes WeasyPrint 70 writes (its marked-content syntax, the Links three
deep), so they run only on that release (``engine.TAG_REPAIR``); footnotes and tables are told
to WeasyPrint while it tags (``engine.notes_and_whole_tables``). pypdf writes no object streams,
so the result is packed again (pdf_pack.py): the repair edits the objects pypdf read, in place
(``engine.objects_in_place``), and the packer writes them. Everything here is deterministic (no dates, no
random ids), so builds stay reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

from generator.engine import TAG_REPAIR, applies, objects_in_place
from generator.writers.pdf_pack import pack_objects, packed

# WeasyPrint writes each marked-content opening as "/Tag\n<</MCID n>>\nBDC".
MARKED_CONTENT = re.compile(rb"/\w+\n<</MCID (\d+)>>\nBDC")
PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC"
LAYOUT = b"/Artifact\n<</Type /Layout>>\nBDC"

Mark = tuple[int, int]  # (page index, MCID)
Describe = Callable[[str, int], str | None]  # (target id, its page from 1) -> the link's description


def repair_tags(pdf: bytes, describe: Describe | None = None) -> bytes:
    """The PDF with page furniture and leader dots made artifacts, one ``Link`` per link and links described.

    The repairs read the shapes WeasyPrint 70 writes; on another release they are skipped (one
    warning line, engine.TAG_REPAIR) and only the links' descriptions are written.
    """
    reader = PdfReader(BytesIO(pdf))
    targets = target_pages(reader)
    header = reader.pdf_header.encode()  # pypdf would write 1.3; PDF/UA and PDF/X need the original
    # pypdf writes no object streams (the seed's PDF half as large again), so the result is packed
    # again: from the reader's objects, edited in place, where engine.py can hand them over; else
    # from the file a clone of the reader writes.
    read_back = objects_in_place(reader)
    edited = reader if read_back is not None else PdfWriter(clone_from=reader)
    if applies(TAG_REPAIR):
        repair_structure(edited)
    if describe is not None:
        describe_links(edited, targets, describe)
    if read_back is not None:
        return packed(header, int(reader.trailer["/Size"]), read_back, reader.trailer)
    assert isinstance(edited, PdfWriter)
    edited.pdf_header = header
    out = BytesIO()
    edited.write(out)
    return pack_objects(out.getvalue())


def repair_structure(writer: PdfReader | PdfWriter) -> None:
    """Furniture and leader dots as artifacts, one ``Link`` per link with one annotation a line, one element per heading."""
    root = writer.root_object["/StructTreeRoot"].get_object()
    pages = {page.indirect_reference.idnum: index for index, page in enumerate(writer.pages)}
    nums = parent_tree(root)
    furniture = unreached_marks(root, nums)
    leaders = leader_marks(root, pages)
    flatten_links(root, nums, pages, leaders)
    merge_nested_headings(root, nums, pages)
    for index, page in enumerate(writer.pages):
        mark_artifacts(page, index, furniture, leaders)
        merge_line_annotations(page, nums)
    forget_marks(nums, furniture | leaders)
    store_parent_tree(root, nums)


def parent_tree(root: DictionaryObject) -> dict[int, PdfObject]:
    """The parent tree's flat ``/Nums`` as a dict (WeasyPrint writes no ``/Kids``); values stay live."""
    flat = root["/ParentTree"].get_object()["/Nums"]
    return {int(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


def store_parent_tree(root: DictionaryObject, nums: dict[int, PdfObject]) -> None:
    """Write the edited parent tree back as the flat ``/Nums`` it was read from."""
    flat = ArrayObject()
    for key in sorted(nums):
        flat.extend((NumberObject(key), nums[key]))
    root["/ParentTree"].get_object()[NameObject("/Nums")] = flat


def kids(element: DictionaryObject) -> list[PdfObject]:
    """An element's ``/K`` as a list, however it is written."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, ArrayObject) else [k]


def children(element: DictionaryObject) -> Iterator[DictionaryObject]:
    """The structure elements among an element's kids."""
    for kid in kids(element):
        obj = kid.get_object()
        if isinstance(obj, DictionaryObject) and "/S" in obj:
            yield obj


def descendants(element: DictionaryObject) -> Iterator[DictionaryObject]:
    """Every structure element under ``element``, depth first, itself included."""
    yield element
    for child in children(element):
        yield from descendants(child)


def reached(root: DictionaryObject) -> set[int]:
    """Object numbers of every element reachable from the root through ``/K``."""
    return {e.indirect_reference.idnum for top in children(root) for e in descendants(top)}


def unreached_marks(root: DictionaryObject, nums: dict[int, PdfObject]) -> set[Mark]:
    """Marked content whose element is outside the tree: WeasyPrint's margin boxes."""
    inside = reached(root)
    return {(page, mcid) for page, refs in nums.items() if isinstance(refs, ArrayObject)
            for mcid, ref in enumerate(refs)
            if isinstance(ref, IndirectObject) and ref.idnum not in inside}


def page_of(element: DictionaryObject, pages: dict[int, int]) -> int:
    """The page index an element's ``/Pg`` names."""
    return pages[element.raw_get("/Pg").idnum]


def is_link(element: DictionaryObject) -> bool:
    """Whether the element is a ``Link``."""
    return element.get("/S") == "/Link"


def leader_marks(root: DictionaryObject, pages: dict[int, int]) -> set[Mark]:
    """The dots of ``leader()``: a ``::after`` inside a link is a Link, the leader inside it another."""
    marks: set[Mark] = set()
    for element in descendants_of_root(root):
        if is_link(element):
            for inner in children(element):
                if is_link(inner):
                    for leader in filter(is_link, children(inner)):
                        marks |= {(page_of(leader, pages), int(k)) for k in kids(leader)
                                  if isinstance(k, NumberObject)}
    return marks


def descendants_of_root(root: DictionaryObject) -> Iterator[DictionaryObject]:
    """Every element of the tree."""
    for top in children(root):
        yield from descendants(top)


def flatten_links(root: DictionaryObject, nums: dict[int, PdfObject], pages: dict[int, int],
                  leaders: set[Mark]) -> None:
    """Give each outermost ``Link`` all the content and annotations of the elements inside it."""
    for element in list(descendants_of_root(root)):
        if is_link(element) and not is_link(element["/P"].get_object()) and any(children(element)):
            element[NameObject("/K")] = ArrayObject(link_content(element, element, nums, pages, leaders))


def link_content(top: DictionaryObject, element: DictionaryObject, nums: dict[int, PdfObject],
                 pages: dict[int, int], leaders: set[Mark]) -> Iterator[PdfObject]:
    """The kids of ``element`` and of everything inside it, re-parented to ``top``, in reading order."""
    ref = top.indirect_reference
    for kid in kids(element):
        obj = kid.get_object()
        if isinstance(obj, DictionaryObject) and "/S" in obj:
            yield from link_content(top, obj, nums, pages, leaders)
        elif isinstance(obj, NumberObject):
            page = page_of(element, pages)
            if (page, int(obj)) in leaders:
                continue
            nums[page][int(obj)] = ref
            yield obj if page == page_of(top, pages) else marked_reference(element, obj)
        else:
            if obj.get("/Type") == "/OBJR":
                nums[int(obj["/Obj"].get_object()["/StructParent"])] = ref
            yield kid


HEADINGS = {f"/H{level}" for level in range(1, 7)}


def merge_nested_headings(root: DictionaryObject, nums: dict[int, PdfObject], pages: dict[int, int]) -> None:
    """An anonymous block of a heading (WeasyPrint tags it as a second H1 inside the first) gives its kids to the heading."""
    for element in list(descendants_of_root(root)):
        if element.get("/S") in HEADINGS and not element["/P"].get_object().get("/S") in HEADINGS:
            inner = [c for c in children(element) if c.get("/S") in HEADINGS]
            if inner:
                element[NameObject("/K")] = ArrayObject(heading_content(element, element, nums, pages))


def heading_content(top: DictionaryObject, element: DictionaryObject, nums: dict[int, PdfObject],
                    pages: dict[int, int]) -> Iterator[PdfObject]:
    """The kids of ``element``, a nested heading's kids lifted into ``top`` and re-parented."""
    for kid in kids(element):
        obj = kid.get_object()
        if isinstance(obj, DictionaryObject) and obj.get("/S") in HEADINGS and element is top:
            for inner in kids(obj):
                inner_obj = inner.get_object()
                if isinstance(inner_obj, DictionaryObject) and "/S" in inner_obj:
                    inner_obj[NameObject("/P")] = top.indirect_reference
                    yield inner
                elif isinstance(inner_obj, NumberObject):
                    nums[page_of(obj, pages)][int(inner_obj)] = top.indirect_reference
                    yield inner_obj if page_of(obj, pages) == page_of(top, pages) else marked_reference(obj, inner_obj)
                else:
                    yield inner
        else:
            yield kid


def marked_reference(element: DictionaryObject, mcid: NumberObject) -> DictionaryObject:
    """An ``/MCR`` for content on another page than its new parent's."""
    return DictionaryObject({NameObject("/Type"): NameObject("/MCR"),
                             NameObject("/Pg"): element.raw_get("/Pg"), NameObject("/MCID"): mcid})


def mark_artifacts(page: DictionaryObject, index: int, furniture: set[Mark], leaders: set[Mark]) -> None:
    """Rewrite the page's marked content: furniture as pagination artifacts, leaders as layout ones."""
    stream = page["/Contents"].get_object()

    def opening(match: re.Match[bytes]) -> bytes:
        mark = (index, int(match[1]))
        return PAGINATION if mark in furniture else LAYOUT if mark in leaders else match[0]

    stream.set_data(MARKED_CONTENT.sub(opening, stream.get_data()))


def merge_line_annotations(page: DictionaryObject, nums: dict[int, PdfObject]) -> None:
    """One link annotation per line of a link, its /Rect the union of the line's.

    WeasyPrint writes an annotation for each box of a link: a contents entry has four on one
    line (the entry, its number, its leader, its page number), so a screen reader announced
    four links. Those of one ``Link`` element to one target whose rectangles share a line
    become the first of them (its /StructParent kept); the others leave the page, the element
    and the parent tree. A link broken over two lines keeps one annotation a line.
    """
    annotations = page.get("/Annots")
    if not annotations:
        return
    kept = ArrayObject()
    lines: dict[tuple[int, str], list[DictionaryObject]] = {}
    for reference in annotations:
        annot = reference.get_object()
        owner = nums.get(int(annot.get("/StructParent", -1)))
        if annot.get("/Subtype") != "/Link" or not isinstance(owner, IndirectObject):
            kept.append(reference)
            continue
        group = lines.setdefault((owner.idnum, repr(annot.get("/Dest", annot.get("/A")))), [])
        line = next((first for first in group if same_line(first, annot)), None)
        if line is None:
            group.append(annot)
            kept.append(reference)
            continue
        line[NameObject("/Rect")] = union(line["/Rect"], annot["/Rect"])
        drop_annotation(owner.get_object(), annot, nums)
    page[NameObject("/Annots")] = kept


def same_line(first: DictionaryObject, other: DictionaryObject) -> bool:
    """Whether two annotations' rectangles overlap vertically (a zero-height one touching counts)."""
    a, b = sorted(float(v) for v in first["/Rect"][1::2]), sorted(float(v) for v in other["/Rect"][1::2])
    return a[0] <= b[1] and b[0] <= a[1]


def union(first: ArrayObject, other: ArrayObject) -> ArrayObject:
    """The smallest rectangle holding both, as [left bottom right top]."""
    xs = [float(v) for v in (*first[0::2], *other[0::2])]
    ys = [float(v) for v in (*first[1::2], *other[1::2])]
    return ArrayObject(FloatObject(round(v, 4)) for v in (min(xs), min(ys), max(xs), max(ys)))


def drop_annotation(link: DictionaryObject, annot: DictionaryObject, nums: dict[int, PdfObject]) -> None:
    """Take an annotation out of its ``Link``'s kids and out of the parent tree."""
    number = annot.indirect_reference.idnum
    link[NameObject("/K")] = ArrayObject(k for k in kids(link) if not (
        isinstance(k.get_object(), DictionaryObject) and k.get_object().get("/Type") == "/OBJR"
        and k.get_object().raw_get("/Obj").idnum == number))
    del nums[int(annot["/StructParent"])]


def forget_marks(nums: dict[int, PdfObject], marks: set[Mark]) -> None:
    """Artifacts belong to no element: their parent-tree slots become null."""
    for page, mcid in marks:
        nums[page][mcid] = NullObject()


def target_pages(reader: PdfReader) -> dict[str, int]:
    """The page (from 1) of every named destination."""
    return {name: reader.get_destination_page_number(dest) + 1
            for name, dest in reader.named_destinations.items()}


def describe_links(writer: PdfReader | PdfWriter, targets: dict[str, int], describe: Describe) -> None:
    """Each internal link's ``/Contents`` in words: what it leads to and on which page."""
    for page in writer.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            target = str(annot.get("/Dest", ""))
            words = describe(target, targets[target]) if target in targets else None
            if words:
                annot[NameObject("/Contents")] = TextStringObject(words)
