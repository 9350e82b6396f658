"""QR codes to the web edition: segno's matrix drawn as vector SVG, for the print templates.

The code is drawn as one SVG path (no raster), with the quiet zone of four modules that
readers need, error correction level M (a folded or scuffed handout still scans), and an
accessible name, so that the tagged PDF describes it.
"""

from __future__ import annotations

import io

import segno
from markupsafe import Markup, escape

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


def qr_code(url: str) -> segno.QRCode:
    """The QR code of an address: error correction M, the smallest version that holds it."""
    return segno.make_qr(url, error="m", boost_error=False)


def qr_svg(url: str, label: str) -> Markup:
    """The QR code of url as inline SVG, scaled by its container, named by label for assistive technology."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, scale=1,
                      border=QUIET_ZONE, dark="#000", light="#fff", svgclass="qr-code", lineclass=None,
                      title=label)
    svg = out.getvalue().decode("utf-8")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def qr_matrix(url: str) -> list[list[bool]]:
    """The code's modules (True is dark), without the quiet zone: for tests and checks."""
    return [[bool(m) for m in row] for row in qr_code(url).matrix]
