"""The EPUB cover: a raster image in the PDF cover's design, drawn with Pillow.

The picture is white with the PDF's accent rule (teal, or the theme's accent and tint), the kind in spaced capitals, the title in
bold Source Sans Pro and the subtitle under it; a teal band at the foot carries the
publisher and the date, written in the document's language (generator/labels.py).
Text is laid out with Pillow's basic layout engine (FreeType, no Raqm), so the bytes
depend only on the pinned Pillow and fonts, not on the machine.
A document may supply its own ``images/cover.png`` instead; it is checked like every source
file (a regular file inside the folder, at most 10 MB) and decoded once, limited in pixels.

The cover is a palette image: each text colour on its ground gets a ramp of ``SHADES``
exact blends, and text is drawn as a coverage mask mapped onto its ramp. A 1600×2560
RGB PNG took 0.14 s to compress at level 9 (40 % of a seed EPUB build); the palette PNG
takes about 0.015 s and is a third of the size, with the same colours.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from generator.errors import Problem, SourceError, source_error
from generator.files import MAX_SOURCE_BYTES, Unreadable, read_limited
from generator.labels import labels_for
from generator.model import Document, Metadata
from generator.scripts import Script, font_file, script_for
from generator.templates import font_faces

SUPPLIED_COVER = Path("images") / "cover.png"
MAX_COVER_PIXELS = 25_000_000  # 5000×5000; Pillow would decode up to 179 million before refusing
WIDTH, HEIGHT = 1600, 2560
MARGIN = 160
ACCENT = (0x0B, 0x55, 0x63)  # the PDF's --accent
ACCENT_LIGHT = (0xE6, 0xEF, 0xF1)
INK = (0x1D, 0x1D, 0x1B)
MUTED = (0x5B, 0x5B, 0x57)
PAPER = (0xFF, 0xFF, 0xFF)
BAND_TOP = 2200
SHADES = 32  # antialiasing steps between a text colour and its ground; 33 entries per ramp
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class TextStyle:
    """A font at a size, a colour, a line height and letter spacing (in ems)."""

    weight: int
    size: int
    colour: Colour
    ground: Colour
    leading: float = 1.2
    tracking: float = 0.0


Ramps = tuple[tuple[Colour, Colour], ...]
TITLE = TextStyle(700, 168, INK, PAPER, leading=1.08)
MAX_TITLE_LINES = 7
LATIN_SCRIPT = script_for("en")


@dataclass(frozen=True)
class CoverStyles:
    """The cover's text styles in the document's theme colours, and the palette's ramps they need."""

    accent: Colour
    kind: TextStyle
    title: TextStyle
    subtitle: TextStyle
    publisher: TextStyle
    date: TextStyle

    @property
    def ramps(self) -> Ramps:
        """Each (text colour, ground) pair once, in the order the palette holds them."""
        styles = (self.kind, self.title, self.subtitle, self.publisher, self.date)
        return tuple(dict.fromkeys((s.colour, s.ground) for s in styles))


def cover_styles(meta: Metadata) -> CoverStyles:
    """The styles in the theme's accent and tint (theme: in document.yaml), else the project's teal."""
    accent = hex_colour(meta.theme.accent) if meta.theme.accent else ACCENT
    tint = hex_colour(meta.theme.tint) if meta.theme.tint else ACCENT_LIGHT
    return CoverStyles(accent, kind=TextStyle(600, 60, accent, PAPER, tracking=0.18),
                       title=TITLE,
                       subtitle=TextStyle(400, 76, MUTED, PAPER, leading=1.3),
                       publisher=TextStyle(600, 60, PAPER, accent), date=TextStyle(400, 52, tint, accent))


def hex_colour(text: str) -> Colour:
    """A validated "#rrggbb" as its three channels."""
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def cover_image(document: Document) -> bytes:
    """The cover PNG: the document's own ``images/cover.png`` when it has one, else one drawn here."""
    supplied = supplied_cover(document.root)
    return supplied if supplied is not None else draw_cover(document.meta)


def cover_problems(root: Path) -> list[Problem]:
    """What is wrong with the document's own cover, for ``check`` and the load (none when it has none)."""
    try:
        supplied_cover(root)
    except SourceError as error:
        return error.problems
    return []


def supplied_cover(root: Path) -> bytes | None:
    """The document's ``images/cover.png``, or None when it has none; SourceError when it cannot be
    the cover: not a regular file inside the folder (a symlink to ``/proc/self/environ`` would ship
    the build's environment), over 10 MB, over MAX_COVER_PIXELS, not a PNG or not decodable."""
    path = root / SUPPLIED_COVER
    if not os.path.lexists(path):
        return None
    try:
        data = read_limited(path, MAX_SOURCE_BYTES, inside=root)
    except Unreadable as error:
        raise source_error(path, 1, 1, error.message) from None
    refusal = _picture_refusal(data)
    if refusal:
        raise source_error(path, 1, 1, refusal)
    return data


def _picture_refusal(data: bytes) -> str:
    """Why bytes cannot be the cover (not a PNG, too many pixels, damaged), or ''."""
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as picture:
            width, height = picture.size
            if width * height > MAX_COVER_PIXELS:
                return (f"the cover is {width}×{height} pixels; a cover may have at most "
                        f"{MAX_COVER_PIXELS // 1_000_000} million (1600×2560 is usual)")
            picture.load()
    except Image.UnidentifiedImageError:
        return "the cover is not a PNG picture"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "the cover is damaged and cannot be read"
    return ""


def cover_alt_text(meta: Metadata) -> str:
    """What the cover shows, in words, for its alt text."""
    parts = [meta.kind, meta.title, meta.subtitle]
    return labels_for(meta.language, meta.labels).format("cover_alt", description=". ".join(p for p in parts if p))


def draw_cover(meta: Metadata) -> bytes:
    """Draw the cover and encode it as a PNG with no timestamps or other varying chunks."""
    styles = cover_styles(meta)
    ramps = styles.ramps
    image = Image.new("P", (WIDTH, HEIGHT), solid(PAPER, ramps))
    image.putpalette(palette(ramps))
    draw = ImageDraw.Draw(image)
    draw.rectangle((MARGIN, 400, WIDTH - MARGIN, 417), fill=solid(styles.accent, ramps))
    script = script_for(meta.language)
    y = 480
    if meta.kind:
        kind = untracked(styles.kind) if script.direction == "rtl" else styles.kind  # spacing would break joined letters
        y = draw_lines(image, [meta.kind.upper()], kind, y, ramps, script) + 60
    title_style = fitting_title_style(meta.title, styles.title, script)
    y = draw_lines(image, wrap(meta.title, title_style, script)[:MAX_TITLE_LINES], title_style, y, ramps, script) + 70
    if meta.subtitle:
        draw_lines(image, wrap(meta.subtitle, styles.subtitle, script)[:5], styles.subtitle, y, ramps, script)
    draw_band(image, meta, styles, script)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def palette(ramps: Ramps) -> list[int]:
    """The cover's colours, ramp after ramp: each ramp blends a ground (step 0) into a text colour."""
    return [channel for colour, ground in ramps for step in range(SHADES + 1)
            for channel in blend(ground, colour, step / SHADES)]


def blend(ground: Colour, colour: Colour, amount: float) -> Colour:
    """The colour a fraction ``amount`` of the way from ground to colour."""
    return (round(ground[0] + (colour[0] - ground[0]) * amount), round(ground[1] + (colour[1] - ground[1]) * amount),
            round(ground[2] + (colour[2] - ground[2]) * amount))


def palette_index(colour: Colour, ground: Colour, step: int, ramps: Ramps) -> int:
    """The palette entry of a ramp's step (0 is the ground, SHADES the full colour)."""
    return ramps.index((colour, ground)) * (SHADES + 1) + step


def solid(colour: Colour, ramps: Ramps) -> int:
    """The palette entry of a flat colour: the ground (step 0) or the full colour of a ramp."""
    for text, ground in ramps:
        if colour in (ground, text):
            return palette_index(text, ground, 0 if colour == ground else SHADES, ramps)
    raise ValueError(f"{colour} is in no ramp of the cover's palette")


def untracked(style: TextStyle) -> TextStyle:
    """The style without letter spacing."""
    return TextStyle(style.weight, style.size, style.colour, style.ground, style.leading, 0.0)


def draw_band(image: Image.Image, meta: Metadata, styles: CoverStyles, script: Script) -> None:
    """The accent band at the foot with the publisher (or authors) and the date."""
    ramps = styles.ramps
    ImageDraw.Draw(image).rectangle((0, BAND_TOP, WIDTH, HEIGHT), fill=solid(styles.accent, ramps))
    imprint = meta.publisher or ", ".join(meta.authors)
    y = BAND_TOP + 110
    if imprint:
        y = draw_lines(image, wrap(imprint, styles.publisher, script)[:1], styles.publisher, y, ramps, script) + 20
    draw_lines(image, [labels_for(meta.language, meta.labels).format_date(meta.date)], styles.date, y, ramps, script)


def fitting_title_style(title: str, style: TextStyle, script: Script = LATIN_SCRIPT) -> TextStyle:
    """The title's style, smaller for long titles so that it stays within five lines (at the
    smallest size, a longer title is cut to MAX_TITLE_LINES, which still leave room for the subtitle)."""
    while len(wrap(title, style, script)) > 5 and style.size > 96:
        style = TextStyle(style.weight, style.size - 12, style.colour, style.ground, style.leading, style.tracking)
    return style


def draw_lines(image: Image.Image, lines: list[str], style: TextStyle, top: int, ramps: Ramps,
               script: Script = LATIN_SCRIPT) -> int:
    """Draw lines from top (the first line's cap height starts there); return the bottom.
    Right-to-left lines are set against the right margin."""
    font = load_font(style.weight, style.size, script)
    step = round(style.size * style.leading)
    bottom = top + len(lines) * step
    if not lines:
        return bottom
    # Coverage of the text, 0-255, in a band as tall as the lines plus room for descenders.
    box = (0, top, WIDTH, min(HEIGHT, bottom + style.size))
    coverage = Image.new("L", (box[2] - box[0], box[3] - box[1]), 0)
    draw = ImageDraw.Draw(coverage)
    for index, line in enumerate(lines):
        x = WIDTH - MARGIN - round(text_length(font, line, script)) if script.direction == "rtl" else MARGIN
        draw_tracked(draw, (x, index * step), line, font, style, script)
    first = palette_index(style.colour, style.ground, 0, ramps)
    ramp = coverage.point([first + round(value * SHADES / 255) for value in range(256)])
    image.paste(ramp, box, coverage.point([0] + [255] * 255))  # only where there is ink
    return bottom


def draw_tracked(draw: ImageDraw.ImageDraw, origin: tuple[int, int], text: str, font: ImageFont.FreeTypeFont,
                 style: TextStyle, script: Script) -> None:
    """Draw one line in full coverage, spacing the letters apart when the style asks for tracking."""
    if not style.tracking:
        draw.text(origin, text, font=font, fill=255, **direction(script))
        return
    x, y = origin
    for char in text:
        draw.text((x, y), char, font=font, fill=255)
        x += round(font.getlength(char) + style.tracking * style.size)


def direction(script: Script) -> dict[str, str]:
    """Pillow's direction argument for a right-to-left script (Raqm only), else none."""
    return {"direction": "rtl"} if script.direction == "rtl" else {}


def text_length(font: ImageFont.FreeTypeFont, text: str, script: Script) -> float:
    """The advance of a line, shaped as it will be drawn."""
    return font.getlength(text, **direction(script))


def wrap(text: str, style: TextStyle, script: Script = LATIN_SCRIPT) -> list[str]:
    """Break text into lines no wider than the cover's text column, at spaces; a word wider
    than the column (a Japanese or Chinese title has no spaces) breaks between characters."""
    font = load_font(style.weight, style.size, script)
    fits = lambda line: text_length(font, line, script) <= WIDTH - 2 * MARGIN  # noqa: E731
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and fits(candidate):
            lines[-1] = candidate
        elif fits(word):
            lines.append(word)
        else:
            lines.extend(split_word(word, fits))
    return lines


def split_word(word: str, fits: Callable[[str], bool]) -> list[str]:
    """A word too wide for a line, in pieces that fit, broken between characters."""
    pieces: list[str] = []
    for char in word:
        if pieces and fits(pieces[-1] + char):
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


@lru_cache(maxsize=32)
def load_font(weight: int, size: int, script: Script = LATIN_SCRIPT) -> ImageFont.FreeTypeFont:
    """The cover's face at a weight and pixel size: Source Sans Pro for Latin text, laid out
    without Raqm for stable bytes; the script's sans (fontconfig's file) for any other, laid out
    by Raqm when it runs right to left (Arabic letters must be joined and ordered)."""
    found = font_file(script.sans[0], weight >= 600) if script.sans else None
    if found is None:
        path = next(f.path for f in font_faces() if f.family == "Source Sans Pro" and f.weight == weight and f.style == "normal")
        return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    engine = ImageFont.Layout.RAQM if script.direction == "rtl" else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(found[0]), size, index=found[1], layout_engine=engine)
