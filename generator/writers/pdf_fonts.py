"""The fonts of a document's layouts, registered once per process and kept between builds.

WeasyPrint registers every ``@font-face`` of a layout with fontconfig, and Pango loads each
face, in the FontConfiguration the layout is given; it makes a new one when given none. That is
0.1 s of the seed's 0.77 s rebuild under ``make watch``, paid again by every extra layout of one
build (a first layout, the handout, the print variant). A FontConfiguration is made to be
shared: a face already added (by its rule) is not added again. One is kept per document folder,
and made anew when the layout's ``@font-face`` rules differ from those it was made for or a font
or stylesheet file it was made from has changed (size or time stamp, checked before each layout),
so an author who edits or replaces a font of the document sees it in the next rebuild. The
configurations of the ``KEPT_AT_MOST`` documents used last are kept.

A forked child (segments.py) uses its parent's, and keeps none of its own: its process ends with
``os._exit``, which would leave a kept configuration's temporary folder behind.
"""

from __future__ import annotations

import atexit
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.fetch import Stamp, file_stamp

FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


@dataclass
class KeptFonts:
    """A FontConfiguration, the ``@font-face`` rules it was made for and the files read into it."""

    rules: tuple[str, ...]
    config: Any
    stamps: dict[Path, Stamp] = field(default_factory=dict)

    def current(self, rules: tuple[str, ...]) -> bool:
        """Whether a layout with these rules may use it: the same rules, and no file it read changed."""
        return rules == self.rules and all(file_stamp(path) == stamp for path, stamp in self.stamps.items())


# The documents whose fonts are kept, the last used at the end: a watch builds a few; a process
# that builds many (the test suite) keeps the latest only, each configuration holding its faces.
KEPT_AT_MOST = 4
_KEPT: dict[Path, KeptFonts] = {}
_OWNER = os.getpid()  # the process that may keep configurations (not a forked child)
atexit.register(_KEPT.clear)  # each configuration's __del__ removes its temporary folder, while Python still runs


def document_fonts(root: Path, markup: str) -> KeptFonts:
    """The fonts for a layout of ``markup`` (HTML with its stylesheets inline) of the document in ``root``."""
    from weasyprint.text.fonts import FontConfiguration  # imported here: only the PDFs need it

    rules = tuple(FONT_FACE.findall(markup))
    kept = _KEPT.get(root)
    if kept is None or not kept.current(rules):
        kept = KeptFonts(rules, FontConfiguration())
    if os.getpid() == _OWNER:
        _KEPT.pop(root, None)
        _KEPT[root] = kept  # now the last used
        while len(_KEPT) > KEPT_AT_MOST:
            del _KEPT[next(iter(_KEPT))]
    return kept


def render_with_kept_fonts(html: Any, root: Path, markup: str, **options: Any) -> Any:
    """``html.render(**options)`` (WeasyPrint's HTML of ``markup``, with a SandboxedFetcher) with
    the fonts kept for the document in ``root``; the files its fetcher read are stamped into them."""
    fonts = document_fonts(root, markup)
    try:
        return html.render(font_config=fonts.config, **options)
    finally:
        fonts.stamps.update(html.url_fetcher.stamps)
