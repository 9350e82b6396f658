"""The floor: WeasyPrint alone laying out the exact HTML our PDF writer hands it.

Run in a fresh process by the benchmark:
``python -m bench.floor HTML BASE_DIR OUT_PDF IDENTIFIER ALLOWED_DIR...``. The HTML is the
``--keep-html`` file (stylesheets inlined), the fetcher is the pipeline's SandboxedFetcher
over the same folders, and write_pdf gets the same options as generator/writers/pdf.py, so
the only thing left out is our own work: loading, Markdown, glossary, templates.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Keep in step with PdfWriter.render (render, then write_pdf, with these options); the
# benchmark shows both page counts side by side to catch drift.
WRITE_PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}


def main(argv: list[str]) -> int:
    """Lay out one HTML file into a PDF."""
    html_path, base_dir, out_pdf, identifier, *allowed = argv
    from weasyprint import HTML

    from generator.fetch import SandboxedFetcher

    fetcher = SandboxedFetcher([Path(d) for d in allowed])
    html = HTML(string=Path(html_path).read_text(encoding="utf-8"),
                base_url=Path(base_dir).resolve().as_uri() + "/", url_fetcher=fetcher)
    options = {**WRITE_PDF_OPTIONS, "pdf_identifier": identifier.encode()}
    data = html.render(**options).write_pdf(**options)
    Path(out_pdf).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
