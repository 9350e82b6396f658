"""The repaired PDF written from pydyf's objects: what the catalogue reaches, small objects in object streams.

pydyf, which WeasyPrint writes with, puts every object it holds in the file (all the small ones
in a single object stream). After the tag repair (pdf_tags.py) many are reached by nothing: the
elements of the page furniture, the annotations merged into one, the ``Span`` s that
``engine.lift_text_spans`` emptied (three in four of a technical book's structure elements). pydyf
cannot leave an object out when it compresses (its cross-reference stream counts a free object
as packed), so the file is written here, from the same objects, as pydyf would write it but for
that: every object the catalogue and the document information reach, the ones that are not
streams in object order in ``/ObjStm`` streams of at most ``PER_STREAM`` objects (a reader
decompresses one stream per lookup), the streams as pydyf writes them, then a compressed
``/XRef`` stream (both PDF 1.5, allowed by PDF/UA-1 and PDF/X-4). An object nothing reaches
keeps its number, free. Object numbers, order and zlib's level are fixed, and the file
identifier's second part is the MD5 of the bytes written, so the same objects give the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import Any, BinaryIO

PER_STREAM = 100  # objects per object stream
LEVEL = 9  # zlib's level for the object and cross-reference streams, fixed: the bytes must not depend on a default
ENTRY = (1, 4, 2)  # the cross-reference stream's /W: type, offset or object stream, generation or index
REFERENCE = re.compile(rb"(\d+) 0 R")


def write_packed(pdf: Any, output: BinaryIO, version: Any, identifier: Any) -> None:
    """Write pydyf's ``pdf`` to ``output`` (see above); ``version`` (``"1.7"``) and ``identifier``
    (bytes, or False for none) as WeasyPrint hands them to ``pydyf.PDF.write``."""
    import pydyf

    if pdf.info:
        pdf.add_object(pdf.info)  # as pydyf.PDF.write does
    objects = pdf.objects
    small, streams = reached(objects, [pdf.catalog.number] + ([pdf.info.number] if pdf.info else []))
    start = output.tell()
    written = hashlib.md5(usedforsecurity=False)

    def put(data: bytes) -> int:
        position = output.tell() - start
        output.write(data)
        written.update(data)
        return position

    size = len(objects)
    entries: dict[int, tuple[int, int, int]] = {number: (0, 0, 0) for number in range(size)}
    entries[0] = (0, 0, 65535)
    put(b"%PDF-" + (version.encode() if isinstance(version, str) else version or b"1.7") + b"\n%\xf0\x9f\x96\xa4\n")
    for number in sorted(streams):
        entries[number] = (1, put(objects[number].indirect + b"\n"), 0)
    members = sorted(small)
    for index, first in enumerate(range(0, len(members), PER_STREAM)):
        group = members[first:first + PER_STREAM]
        number = size + index
        entries.update({member: (2, number, position) for position, member in enumerate(group)})
        entries[number] = (1, put(indirect(number, object_stream([(m, small[m]) for m in group]))), 0)
    xref = size + (len(members) + PER_STREAM - 1) // PER_STREAM
    entries[xref] = (1, output.tell() - start, 0)
    keys = {"Root": pdf.catalog.reference, **({"Info": pdf.info.reference} if pdf.info else {})}
    if identifier:
        digest = written.hexdigest().encode()
        first_id = digest if identifier is True else identifier
        keys["ID"] = pydyf.Array((pydyf.String(first_id).data, pydyf.String(digest).data))
    put(indirect(xref, xref_stream(entries, keys)))
    put(b"startxref\n%d\n%%%%EOF\n" % entries[xref][1])


def reached(objects: list[Any], roots: list[int]) -> tuple[dict[int, bytes], set[int]]:
    """The objects reached from ``roots`` through references: the small ones, serialised, by
    number, and the numbers of the streams (a reference found in a string keeps its object too)."""
    import pydyf

    small: dict[int, bytes] = {}
    streams: set[int] = set()
    pending = list(roots)
    while pending:
        number = pending.pop()
        if number in small or number in streams or not 0 < number < len(objects):
            continue
        obj = objects[number]
        if isinstance(obj, pydyf.Stream):
            streams.add(number)
            data = pydyf.Dictionary(obj.extra).data
        else:
            data = small[number] = obj.data
        pending.extend(int(found) for found in REFERENCE.findall(data))
    return small, streams


def indirect(number: int, data: bytes) -> bytes:
    """One indirect object of generation 0."""
    return b"%d 0 obj\n" % number + data + b"\nendobj\n"


def compressed(data: bytes, keys: dict[str, Any]) -> bytes:
    """A FlateDecode stream of ``data`` with the given entries besides /Filter and /Length, serialised."""
    import pydyf

    body = zlib.compress(data, LEVEL)
    head = pydyf.Dictionary({**keys, "Filter": "/FlateDecode", "Length": len(body)}).data
    return head + b"\nstream\n" + body + b"\nendstream"


def object_stream(members: list[tuple[int, bytes]]) -> bytes:
    """An ``/ObjStm`` holding ``members`` (number, serialised object), each found by its offset after /First."""
    offsets, position = [], 0
    for number, body in members:
        offsets.append(b"%d %d" % (number, position))
        position += len(body) + 1
    head = b" ".join(offsets) + b"\n"
    return compressed(head + b"\n".join(body for _, body in members) + b"\n",
                      {"Type": "/ObjStm", "N": len(members), "First": len(head)})


def xref_stream(entries: dict[int, tuple[int, int, int]], keys: dict[str, Any]) -> bytes:
    """The ``/XRef`` stream of ``entries`` (number → type, field 2, field 3), carrying the trailer's keys."""
    import pydyf

    rows = b"".join(bytes([kind]) + second.to_bytes(ENTRY[1], "big") + third.to_bytes(ENTRY[2], "big")
                    for kind, second, third in (entries[n] for n in range(len(entries))))
    return compressed(rows, {"Type": "/XRef", "Size": len(entries), "W": pydyf.Array(ENTRY), **keys})
