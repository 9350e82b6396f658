"""The print-shop variant: the briefing as PDF/X-4, in CMYK, with bleed and crop marks.

It is the PDF writer's layout with ``templates/print/press.css`` on top: the output intent
from ``@color-profile`` (the FOGRA39 profile the set-up installs, or the print shop's own), a
3 mm bleed inside a slug that holds the crop marks, and text in black ink alone. The
accessible ``<slug>.pdf`` is another file and stays PDF/UA.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.engine import cmyk_colours, fixed_document_id
from generator.errors import UsageError, display_path
from generator.fetch import SandboxedFetcher
from generator.files import Unreadable, read_limited
from generator.templates import PROJECT_TEMPLATES, font_dirs
from generator.writers import Output, WriteContext, variant_suffix
from generator.writers.pdf import PdfWriter

# Where the set-up (the Makefile) puts the CMYK profile it builds from FOGRA39 data.
INSTALLED_PROFILE = Path(sys.prefix) / "share" / "briefing-generator" / "FOGRA39L_coated.icc"
BLEED_MM = 3.0
POINTS_PER_MM = 72 / 25.4
ICC_HEADER = 128  # bytes; the colour space is at 16-20, the signature "acsp" at 36-40


class PressWriter(PdfWriter):
    """Renders ``<out>/<slug>-print.pdf`` (``-print-letter.pdf`` on Letter) for a print shop."""

    name = "print"

    def output_path(self, ctx: WriteContext) -> Path:
        """``<out>/<slug>-print.pdf``; its marks are always there, so the name leaves them out."""
        return ctx.out_dir / f"{ctx.document.slug}-print{variant_suffix(ctx.options, marked=False)}.pdf"

    def render(self, ctx: WriteContext) -> list[Output]:
        """The print PDF, laid out with the press stylesheet (the screen's marks option does not apply)."""
        return super().render(replace(ctx, options=replace(ctx.options, press=True, marks=False)))

    def options(self, ctx: WriteContext) -> dict[str, Any]:
        """PDF/X-4, still tagged, with the document's identifier."""
        return {"pdf_variant": "pdf/x-4", "pdf_tags": True, "pdf_identifier": ctx.document.meta.identifier.encode()}

    def fetcher(self, ctx: WriteContext) -> SandboxedFetcher:
        """The PDF's fetcher, serving the CMYK profile too."""
        return SandboxedFetcher([ctx.document.root, PROJECT_TEMPLATES, *font_dirs()], document=ctx.document.root,
                                profile=cmyk_profile(ctx.options.profile))

    def finisher(self, ctx: WriteContext) -> Callable[[Any, Any], None]:
        """Each page's BleedBox set to the 3 mm bleed (WeasyPrint puts it 10 pt out, or at the slug's edge)."""
        return bleed_boxes

    @contextmanager
    def rendering(self, ctx: WriteContext) -> Iterator[None]:
        """The PDF's conditions, every colour in CMYK and the XMP DocumentID derived from the document."""
        seed = f"{ctx.document.meta.identifier} print {ctx.options.paper}".encode()
        with super().rendering(ctx), cmyk_colours(), fixed_document_id(seed):
            yield


def cmyk_profile(path: Path | None) -> bytes:
    """The bytes of a CMYK output profile: ``path``, else the installed one; UsageError when unusable."""
    profile = path or INSTALLED_PROFILE
    try:
        data = read_limited(profile)
    except Unreadable as error:
        fix = "" if path else (" (`make pdf PRINT=1` builds it, from Debian's icc-profiles-free with argyll's colprof;"
                               " or give the print shop's profile with --profile, PROFILE= for make)")
        raise UsageError(f"cannot use the CMYK profile {display_path(profile)}: {error.reason}{fix}") from None
    if len(data) < ICC_HEADER or data[36:40] != b"acsp":
        raise UsageError(f"{display_path(profile)} is not an ICC profile")
    if data[16:20] != b"CMYK":
        space = data[16:20].decode("latin-1").strip()
        raise UsageError(f"{display_path(profile)} is a {space} profile; the print variant needs a CMYK one")
    return data


def bleed_boxes(_document: Any, pdf: Any) -> None:
    """Set every page's BleedBox BLEED_MM outside its TrimBox (a WeasyPrint ``finisher``)."""
    import pydyf

    bleed = BLEED_MM * POINTS_PER_MM
    for page in pdf.objects:
        if isinstance(page, pydyf.Dictionary) and page.get("Type") == "/Page" and "TrimBox" in page:
            left, top, right, bottom = page["TrimBox"]
            page["BleedBox"] = pydyf.Array([left - bleed, top - bleed, right + bleed, bottom + bleed])
