"""A PDF written again with its small objects in compressed object streams.

pypdf, which repairs the structure tree (pdf_tags.py), writes every object on its own,
uncompressed: the ~700 structure elements, annotations and dictionaries that WeasyPrint
(pydyf) had packed into object streams come out as plain text, and the seed's PDF grew from
146 KB to 226 KB (when measured). pypdf cannot write object streams, so the objects the repair
edited in pypdf's reader (handed over by generator/engine.py; on another pypdf release, read
back from the file a cloned writer wrote) are written once more as pydyf would write them:
every object that is not a stream goes, in object order, into ``/ObjStm`` streams of at most
``PER_STREAM`` objects, and the cross-reference table becomes a compressed ``/XRef`` stream
(both PDF 1.5, allowed by PDF/UA-1 and PDF/X-4). Streams, already compressed, are copied as
they are; objects nothing refers to any more (the annotations merged into one, the header rows
left out of the tree, WeasyPrint's own object streams) are not written. Object numbers, order
and zlib's level are fixed, so the same input gives the same bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from io import BytesIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, NumberObject, PdfObject, StreamObject

PER_STREAM = 100  # objects per object stream, as pydyf packs them (a reader decompresses one stream per lookup)
LEVEL = 9  # zlib's level, fixed: the bytes must not depend on a default
ENTRY = (1, 4, 2)  # the cross-reference stream's /W: type, offset or object stream, generation or index


def pack_objects(pdf: bytes) -> bytes:
    """``pdf`` (a file pypdf wrote, no incremental updates) with its non-stream objects in object streams."""
    reader = PdfReader(BytesIO(pdf))
    return packed(pdf[:pdf.index(b"\n")], int(reader.trailer["/Size"]), reader.get_object, reader.trailer)


def packed(header: bytes, size: int, get_object: Callable[[int], PdfObject | None], trailer: DictionaryObject) -> bytes:
    """A PDF of the objects numbered 1 to ``size`` - 1 (``get_object``) that ``trailer`` reaches,
    its non-stream objects in object streams; ``header``: its version line (``%PDF-1.7``)."""
    used = reachable(trailer)
    objects = {number: get_object(number) if number in used else None for number in range(1, size)}
    small = [number for number, obj in objects.items() if obj is not None and not isinstance(obj, StreamObject)]
    out = BytesIO()
    out.write(header + b"\n%\xe2\xe3\xcf\xd3\n")  # the original version line, then binary bytes
    entries: dict[int, tuple[int, int, int]] = {0: (0, 0, 65535)}
    for number, obj in objects.items():
        if obj is None:  # a free number: an object nothing refers to any more (a merged annotation)
            entries[number] = (0, 0, 0)
        elif isinstance(obj, StreamObject):
            entries[number] = (1, out.tell(), 0)
            write_object(out, number, obj)
    for index, start in enumerate(range(0, len(small), PER_STREAM)):
        group = small[start:start + PER_STREAM]
        number = size + index
        entries.update({member: (2, number, position) for position, member in enumerate(group)})
        entries[number] = (1, out.tell(), 0)
        write_object(out, number, object_stream([(member, objects[member]) for member in group]))
    xref = size + (len(small) + PER_STREAM - 1) // PER_STREAM
    entries[xref] = (1, out.tell(), 0)
    write_object(out, xref, xref_stream(entries, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % entries[xref][1])
    return out.getvalue()


def reachable(trailer: DictionaryObject) -> set[int]:
    """The numbers of the objects the trailer reaches: what the repair left unreferenced is not written."""
    seen: set[int] = set()
    pending: list[PdfObject] = [trailer.raw_get(key) for key in ("/Root", "/Info") if key in trailer]
    while pending:
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams too
            pending.extend(obj.raw_get(key) for key in obj)
        elif isinstance(obj, ArrayObject):
            pending.extend(obj)
    return seen


def serialised(obj: PdfObject) -> bytes:
    """An object's PDF syntax, as pypdf writes it."""
    data = BytesIO()
    obj.write_to_stream(data)
    return data.getvalue()


def write_object(out: BytesIO, number: int, obj: PdfObject) -> None:
    """One indirect object, generation 0."""
    out.write(b"%d 0 obj\n" % number + serialised(obj) + b"\nendobj\n")


def compressed(data: bytes, dictionary: dict[str, PdfObject]) -> StreamObject:
    """A FlateDecode stream of ``data`` with the given entries besides /Filter and /Length."""
    stream = StreamObject()
    stream.update({NameObject(key): value for key, value in dictionary.items()})
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream.set_data(zlib.compress(data, LEVEL))
    return stream


def object_stream(members: list[tuple[int, PdfObject]]) -> StreamObject:
    """An ``/ObjStm`` holding ``members`` (number, object), each found by its offset after /First."""
    bodies = [serialised(obj) for _, obj in members]
    offsets, position = [], 0
    for (number, _), body in zip(members, bodies):
        offsets.append(b"%d %d" % (number, position))
        position += len(body) + 1
    head = b" ".join(offsets) + b"\n"
    return compressed(head + b"\n".join(bodies) + b"\n", {
        "/Type": NameObject("/ObjStm"), "/N": NumberObject(len(members)), "/First": NumberObject(len(head))})


def xref_stream(entries: dict[int, tuple[int, int, int]], trailer: DictionaryObject) -> StreamObject:
    """The ``/XRef`` stream of ``entries`` (number → type, field 2, field 3), carrying the trailer's keys."""
    rows = b"".join(bytes([kind]) + second.to_bytes(ENTRY[1], "big") + third.to_bytes(ENTRY[2], "big")
                    for kind, second, third in (entries[n] for n in range(len(entries))))
    keys = {key: trailer.raw_get(key) for key in ("/Root", "/Info", "/ID") if key in trailer}
    return compressed(rows, {"/Type": NameObject("/XRef"), "/Size": NumberObject(len(entries)),
                             "/W": ArrayObject(NumberObject(w) for w in ENTRY), **keys})
