"""The handout build: each document's PDF rendered in memory, imposed on sheets, written atomically."""

from __future__ import annotations

from pathlib import Path

from generator import build
from generator.impose import impose, output_suffix
from generator.model import Document
from generator.writers import BuildOptions, write_atomically


def build_handouts(source_dir: Path, slugs: list[str], out_dir: Path, layout: str, paper: str) -> build.BuildResult:
    """Build the imposed handout of each named document (all when none are named) into out_dir."""
    documents = build.check(source_dir, slugs)
    options = BuildOptions(paper=paper)
    outputs = [handout_output(document, out_dir, layout, options) for document in documents]
    for output in outputs:
        write_atomically(output.path, output.data)
    return build.BuildResult(documents, [o.path for o in outputs])


def handout_output(document: Document, out_dir: Path, layout: str, options: BuildOptions) -> build.Output:
    """One document's PDF, imposed, in memory: ``<out>/<slug>-booklet.pdf`` or ``-2up.pdf``."""
    (pdf,) = build.render_document(document, ["pdf"], out_dir, options)
    path = out_dir / f"{document.slug}{output_suffix(layout)}.pdf"
    return build.Output(path, impose(pdf.data, layout, options.paper))
