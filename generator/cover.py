"""The EPUB cover: a raster image in the PDF cover's design, drawn with Pillow.

The picture is white with the PDF's teal rule, the kind in spaced capitals, the title in
bold Source Sans Pro and the subtitle under it; a teal band at the foot carries the
publisher and date. Text is laid out with Pillow's basic layout engine (FreeType, no
Raqm), so the bytes depend only on the pinned Pillow and fonts, not on the machine.
A document may supply its own ``images/cover.png`` instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from generator.model import Document, Metadata
from generator.templates import font_faces

SUPPLIED_COVER = Path("images") / "cover.png"
WIDTH, HEIGHT = 1600, 2560
MARGIN = 160
ACCENT = (0x0B, 0x55, 0x63)  # the PDF's --accent
ACCENT_LIGHT = (0xE6, 0xEF, 0xF1)
INK = (0x1D, 0x1D, 0x1B)
MUTED = (0x5B, 0x5B, 0x57)
PAPER = (0xFF, 0xFF, 0xFF)
BAND_TOP = 2200


@dataclass(frozen=True)
class TextStyle:
    """A font at a size, a colour, a line height and letter spacing (in ems)."""

    weight: int
    size: int
    colour: tuple[int, int, int]
    leading: float = 1.2
    tracking: float = 0.0


KIND = TextStyle(600, 60, ACCENT, tracking=0.18)
TITLE = TextStyle(700, 168, INK, leading=1.08)
SUBTITLE = TextStyle(400, 76, MUTED, leading=1.3)
PUBLISHER = TextStyle(600, 60, PAPER)
DATE = TextStyle(400, 52, ACCENT_LIGHT)


def cover_image(document: Document) -> bytes:
    """The cover PNG: the document's own ``images/cover.png`` when it has one, else one drawn here."""
    supplied = document.root / SUPPLIED_COVER
    return supplied.read_bytes() if supplied.is_file() else draw_cover(document.meta)


def cover_alt_text(meta: Metadata) -> str:
    """What the cover shows, in words, for its alt text."""
    parts = [meta.kind, meta.title, meta.subtitle]
    return "Cover: " + ". ".join(p for p in parts if p)


def draw_cover(meta: Metadata) -> bytes:
    """Draw the cover and encode it as a PNG with no timestamps or other varying chunks."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((MARGIN, 400, WIDTH - MARGIN, 417), fill=ACCENT)
    y = 480
    if meta.kind:
        y = draw_lines(draw, [meta.kind.upper()], KIND, y) + 60
    title_style = fitting_title_style(meta.title)
    y = draw_lines(draw, wrap(meta.title, title_style), title_style, y) + 70
    if meta.subtitle:
        draw_lines(draw, wrap(meta.subtitle, SUBTITLE)[:5], SUBTITLE, y)
    draw_band(draw, meta)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()


def draw_band(draw: ImageDraw.ImageDraw, meta: Metadata) -> None:
    """The teal band at the foot with the publisher (or authors) and the date."""
    draw.rectangle((0, BAND_TOP, WIDTH, HEIGHT), fill=ACCENT)
    imprint = meta.publisher or ", ".join(meta.authors)
    y = BAND_TOP + 110
    if imprint:
        y = draw_lines(draw, wrap(imprint, PUBLISHER)[:1], PUBLISHER, y) + 20
    draw_lines(draw, [meta.date.strftime("%-d %B %Y")], DATE, y)


def fitting_title_style(title: str) -> TextStyle:
    """The title's style, smaller for long titles so that it stays within five lines."""
    style = TITLE
    while len(wrap(title, style)) > 5 and style.size > 96:
        style = TextStyle(style.weight, style.size - 12, style.colour, style.leading, style.tracking)
    return style


def draw_lines(draw: ImageDraw.ImageDraw, lines: list[str], style: TextStyle, top: int) -> int:
    """Draw lines from top (the first line's cap height starts there); return the bottom."""
    font = load_font(style.weight, style.size)
    step = round(style.size * style.leading)
    for index, line in enumerate(lines):
        draw_tracked(draw, (MARGIN, top + index * step), line, font, style)
    return top + len(lines) * step


def draw_tracked(draw: ImageDraw.ImageDraw, origin: tuple[int, int], text: str, font: ImageFont.FreeTypeFont, style: TextStyle) -> None:
    """Draw one line, spacing the letters apart when the style asks for tracking."""
    if not style.tracking:
        draw.text(origin, text, font=font, fill=style.colour)
        return
    x, y = origin
    for char in text:
        draw.text((x, y), char, font=font, fill=style.colour)
        x += round(font.getlength(char) + style.tracking * style.size)


def wrap(text: str, style: TextStyle) -> list[str]:
    """Break text into lines no wider than the cover's text column, at spaces."""
    font = load_font(style.weight, style.size)
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= WIDTH - 2 * MARGIN:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


@lru_cache(maxsize=16)
def load_font(weight: int, size: int) -> ImageFont.FreeTypeFont:
    """Source Sans Pro at a weight and pixel size, laid out without Raqm for stable bytes."""
    path = next(f.path for f in font_faces() if f.family == "Source Sans Pro" and f.weight == weight and f.style == "normal")
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
