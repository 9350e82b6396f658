"""Imposition: the pages of a PDF placed two to a sheet side, for a folded booklet or plain two-up.

The page order is computed by small pure functions (tested on their own); ``impose`` then
places the pages with pypdf. Each sheet side is landscape and holds two pages side by side,
each page scaled to fit its half (A4 pages become A5, Letter pages fit half-letter).

Booklet order is saddle-stitch order: print the sides double-sided (flip on the short edge),
stack the sheets, fold the stack in half, and the pages read in order. The page count is
padded with blank pages to a multiple of four, since each sheet carries four pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import Destination, Fit, IndirectObject, NameObject, TextStringObject

LAYOUTS = ("booklet", "2up")
SHEET_SIZES = {"a4": (841.889764, 595.275591), "letter": (792.0, 612.0)}  # landscape, in points
PAGES_PER_SIDE = 2

Side = tuple[int | None, int | None]  # the source page (0-based) on the left and right half; None is blank


@dataclass(frozen=True)
class Placement:
    """Where one source page lands: the output side, and the scale and offset applied to it."""

    side: int
    scale: float
    dx: float
    dy: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A point of the source page in the coordinates of the sheet side."""
        return (x * self.scale + self.dx, y * self.scale + self.dy)


def padded_count(pages: int, multiple: int) -> int:
    """The page count rounded up to a multiple (a booklet needs at least one sheet)."""
    return max(multiple, -(-pages // multiple) * multiple)


def booklet_sides(pages: int, back_page: bool = False) -> list[Side]:
    """Sheet sides in saddle-stitch order: sheet 1 front, sheet 1 back, sheet 2 front, ...

    With the count padded to P, the front of sheet i holds pages P-1-2i and 2i, its back
    2i+1 and P-2-2i (0-based): the outermost sheet carries the first and last pages.
    With back_page, the last page stays the back of the booklet and the blanks go before it.
    """
    total = padded_count(pages, 4)
    real = _real_keeping_last(pages, total) if back_page and pages > 1 else _real(pages)
    sides: list[Side] = []
    for i in range(total // 4):
        sides.append((real(total - 1 - 2 * i), real(2 * i)))
        sides.append((real(2 * i + 1), real(total - 2 - 2 * i)))
    return sides


def two_up_sides(pages: int) -> list[Side]:
    """Sides in reading order, two pages each: (1, 2), (3, 4), ... with a blank to finish an odd count."""
    real = _real(pages)
    return [(real(i), real(i + 1)) for i in range(0, padded_count(pages, 2), 2)]


def sides_for(layout: str, pages: int, back_page: bool = False) -> list[Side]:
    """The sheet sides of a layout (back_page: a booklet's last page stays on its back)."""
    if layout == "booklet":
        return booklet_sides(pages, back_page)
    if layout == "2up":
        return two_up_sides(pages)
    raise ValueError(f"unknown layout {layout!r} (layouts: {', '.join(LAYOUTS)})")


def _real(pages: int) -> Callable[[int], int | None]:
    """A function mapping a padded page index to itself, or to None when it is a blank."""
    return lambda index: index if index < pages else None


def _real_keeping_last(pages: int, total: int) -> Callable[[int], int | None]:
    """Like _real, but the last padded index is the last page and the blanks come before it."""
    return lambda index: pages - 1 if index == total - 1 else (index if index < pages - 1 else None)


def fit(page: tuple[float, float], half: tuple[float, float]) -> tuple[float, float, float]:
    """Scale and centring offsets that fit a page (width, height) into a half sheet."""
    scale = min(half[0] / page[0], half[1] / page[1])
    return scale, (half[0] - page[0] * scale) / 2, (half[1] - page[1] * scale) / 2


def placements(sides: list[Side], page_boxes: list[tuple[float, float, float, float]],
               sheet: tuple[float, float]) -> dict[int, Placement]:
    """Where each source page goes, given its media box (x0, y0, x1, y1) and the sheet size."""
    half = (sheet[0] / PAGES_PER_SIDE, sheet[1])
    result: dict[int, Placement] = {}
    for side_index, side in enumerate(sides):
        for slot, page in enumerate(side):
            if page is None:
                continue
            x0, y0, x1, y1 = page_boxes[page]
            scale, dx, dy = fit((x1 - x0, y1 - y0), half)
            result[page] = Placement(side_index, scale, slot * half[0] + dx - x0 * scale, dy - y0 * scale)
    return result


def output_suffix(layout: str) -> str:
    """The file name suffix of a layout: ``-booklet`` or ``-2up``."""
    return f"-{layout}"


def impose(pdf: bytes, layout: str, paper: str, back_page: bool = False) -> bytes:
    """Place the pages of a PDF two to a sheet side; keep metadata, links and the outline.

    back_page keeps a booklet's last page (the one with the QR code to the web edition) on its back.
    """
    reader = PdfReader(io.BytesIO(pdf))
    sheet = SHEET_SIZES[paper]
    sides = sides_for(layout, len(reader.pages), back_page)
    boxes = [tuple(float(v) for v in page.mediabox) for page in reader.pages]
    where = placements(sides, boxes, sheet)
    writer = PdfWriter()
    writer.pdf_header = reader.pdf_header  # the source's version: transparency needs 1.4 or later
    for _ in sides:
        writer.add_blank_page(*sheet)
    for index, place in where.items():
        writer.pages[place.side].merge_transformed_page(reader.pages[index], _transformation(place))
    for page in writer.pages:
        page.compress_content_streams()  # the merge leaves them uncompressed
    _copy_metadata(reader, writer)
    _copy_destinations(reader, writer, where)
    _copy_outline(reader, writer, where, reader.outline, None)
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _transformation(place: Placement) -> Transformation:
    """The pypdf transformation that scales and moves a source page onto its half."""
    return Transformation().scale(place.scale).translate(place.dx, place.dy)


def _copy_metadata(reader: PdfReader, writer: PdfWriter) -> None:
    """Document information and language carry over.

    The XMP packet and the structure tree do not: the imposed file is no longer tagged in
    reading order, so it must not claim PDF/UA conformance.
    """
    if reader.metadata:
        writer.add_metadata(dict(reader.metadata))
    root = reader.trailer["/Root"]
    if "/Lang" in root:
        writer.root_object[NameObject("/Lang")] = TextStringObject(str(root["/Lang"]))
    if "/ViewerPreferences" in root:  # e.g. show the title rather than the file name
        writer.root_object[NameObject("/ViewerPreferences")] = root["/ViewerPreferences"].clone(writer)


def _copy_destinations(reader: PdfReader, writer: PdfWriter, where: dict[int, Placement]) -> None:
    """Named destinations, moved onto the sheets, so that the copied link annotations still lead somewhere."""
    for name, dest in reader.named_destinations.items():
        target = _moved(reader, writer, where, dest)
        if target is not None:
            writer.add_named_destination_object(Destination(TextStringObject(name), *target))


def _copy_outline(reader: PdfReader, writer: PdfWriter, where: dict[int, Placement],
                  items: list[Destination | list], parent: IndirectObject | None) -> None:
    """The bookmarks, each pointing at the place its heading now has on a sheet."""
    last = None
    for item in items:
        if isinstance(item, list):
            if last is not None:
                _copy_outline(reader, writer, where, item, last)
            continue
        target = _moved(reader, writer, where, item)
        if target is not None:
            last = writer.add_outline_item(title=str(item.title), page_number=target[0], parent=parent, fit=target[1])


def _moved(reader: PdfReader, writer: PdfWriter, where: dict[int, Placement],
           dest: Destination) -> tuple[IndirectObject, Fit] | None:
    """A destination of the source, moved to its page's place on a sheet (None if it cannot be)."""
    page = reader.get_destination_page_number(dest)
    if page is None or page < 0 or page not in where:
        return None
    place = where[page]
    left = float(dest.left) if dest.get("/Left") is not None else 0.0
    top = float(dest.top) if dest.get("/Top") is not None else float(reader.pages[page].mediabox.top)
    x, y = place.point(left, top)
    return writer.pages[place.side].indirect_reference, Fit.xyz(x, y, 0)
