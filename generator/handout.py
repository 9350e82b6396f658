"""The handout build: each document's PDF rendered in memory, imposed on sheets, written atomically."""

from __future__ import annotations

from pathlib import Path

from generator import build
from generator.impose import impose, output_suffix
from generator.model import Document
from generator.progress import Progress, silent
from generator.writers import BuildOptions


def build_handouts(source_dir: Path, slugs: list[str], out_dir: Path, layout: str, paper: str,
                   progress: Progress | None = None) -> build.BuildResult:
    """Build the imposed handout of each named document (all when none are named) into out_dir."""
    progress = progress or silent()
    documents = build.check(source_dir, slugs, progress)
    options = BuildOptions(paper=paper)
    outputs = [handout_output(document, out_dir, layout, options, progress) for document in documents]
    with progress.stage("write") as stage:
        stage.detail = f"{len(outputs)} file{'s' if len(outputs) != 1 else ''}"
        return build.BuildResult(documents, build.write_outputs(outputs))


def handout_output(document: Document, out_dir: Path, layout: str, options: BuildOptions,
                   progress: Progress) -> build.Output:
    """One document's PDF, imposed, in memory: ``<out>/<slug>-booklet.pdf`` or ``-2up.pdf``."""
    (pdf,) = build.render_document(document, ["pdf"], out_dir, options, progress)
    with progress.stage(f"impose {layout}", document.slug):
        path = out_dir / f"{document.slug}{output_suffix(layout)}.pdf"
        return build.Output(path, impose(pdf.data, layout, options.paper))
