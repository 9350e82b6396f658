"""The PDF writer as the layout tests drive it: a document's context, and a writer that counts its layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.build import check
from generator.labels import document_labels
from generator.templates import make_environment
from generator.writers import BuildOptions, WriteContext
from generator.writers.pdf import PdfWriter


def context(source: Path, slug: str, tmp_path: Path, options: BuildOptions | None = None) -> WriteContext:
    """The PDF writer's context for the document as it is now on disk."""
    (document,) = check(source, [slug])
    return WriteContext(document, make_environment(document.root, document_labels(document)),
                        options or BuildOptions(), tmp_path / "out")


class CountingWriter(PdfWriter):
    """The PDF writer, counting its first layouts and the layouts it keeps or tries."""

    def __init__(self) -> None:
        self.first_layouts = 0
        self.layouts = 0

    def anchor_pages(self, ctx: WriteContext, markup: str) -> tuple[dict[str, int], int]:
        self.first_layouts += 1
        return super().anchor_pages(ctx, markup)

    def layout(self, ctx: WriteContext, markup: str, **kwargs: Any) -> bytes:  # type: ignore[override]
        self.layouts += 1
        return super().layout(ctx, markup, **kwargs)
