"""The build, read as a table of contents: load, link, render, write.

Nothing touches the output folder until every document has loaded and every output has
rendered, so a bad source never leaves a half-built set of files behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import SourceError
from generator.glossary import link_glossary
from generator.model import Document
from generator.progress import Progress, silent
from generator.source import document_root, find_documents, load_document
from generator.templates import make_environment
from generator.writers import BuildOptions, WriteContext, Writer, write_all

FORMATS = ("pdf", "epub", "html")


@dataclass(frozen=True)
class Output:
    """A rendered file waiting to be written."""

    path: Path
    data: bytes


@dataclass(frozen=True)
class BuildResult:
    """The documents built (with their warnings) and the files written."""

    documents: list[Document]
    written: list[Path]


def build(source_dir: Path, slugs: list[str], formats: list[str], out_dir: Path, options: BuildOptions,
          progress: Progress | None = None) -> BuildResult:
    """Build the named documents (all when none are named) into out_dir."""
    progress = progress or silent()
    documents = check(source_dir, slugs, progress)
    outputs = [out for doc in documents for out in render_document(doc, formats, out_dir, options, progress)]
    with progress.stage("write") as stage:
        stage.detail = f"{len(outputs)} file{'s' if len(outputs) != 1 else ''}"
        return BuildResult(documents, write_outputs(outputs))


def check(source_dir: Path, slugs: list[str], progress: Progress | None = None) -> list[Document]:
    """Load and link the documents without rendering or writing anything."""
    progress = progress or silent()
    with progress.stage("load") as stage:
        loaded = load_all(source_dir, slugs or find_documents(source_dir))
        stage.detail = f"{len(loaded)} document{'s' if len(loaded) != 1 else ''}"
    return link_all(loaded, progress)


def link_all(documents: list[Document], progress: Progress) -> list[Document]:
    """Run the glossary pass on every document, reporting the problems of all of them together."""
    linked: list[Document] = []
    problems = []
    for document in documents:
        try:
            linked.append(link_document(document, progress))
        except SourceError as error:
            problems.extend(error.problems)
    if problems:
        raise SourceError(problems)
    return linked


def link_document(document: Document, progress: Progress) -> Document:
    """Run the glossary linking pass over one document."""
    with progress.stage("link", document.slug):
        return link_glossary(document)


def load_all(source_dir: Path, slugs: list[str]) -> list[Document]:
    """Load every document, reporting the problems of all of them together."""
    roots = [document_root(source_dir, slug) for slug in slugs]
    documents: list[Document] = []
    problems = []
    for root in roots:
        try:
            documents.append(load_document(root))
        except SourceError as error:
            problems.extend(error.problems)
    if problems:
        raise SourceError(problems)
    return documents


def render_document(document: Document, formats: list[str], out_dir: Path, options: BuildOptions,
                    progress: Progress | None = None) -> list[Output]:
    """Render one document into each requested format, in memory."""
    env = make_environment(document.root)
    outputs: list[Output] = []
    for writer in writers_for(formats):
        ctx = WriteContext(document=document, env=env, options=options, out_dir=out_dir)
        path = writer.output_path(ctx)
        with (progress or silent()).stage(f"render {writer.name}", document.slug):
            outputs.extend(render_outputs(writer, ctx, path))
    return outputs


def render_outputs(writer: Writer, ctx: WriteContext, path: Path) -> list[Output]:
    """The writer's output and, with --keep-html for a writer that lays out HTML (the PDF), that
    very HTML beside it, rendered once: ``<slug>.print.html`` (``<slug>.html`` is the web page)."""
    if not (ctx.options.keep_html and hasattr(writer, "layout")):
        return [Output(path, writer.render(ctx))]
    markup = writer.html(ctx)
    return [Output(path.with_suffix(".print.html"), markup.encode("utf-8")), Output(path, writer.layout(ctx, markup))]


def writers_for(formats: list[str]) -> list[Writer]:
    """The writer of each format, imported only when it is asked for."""
    writers: list[Writer] = []
    if "pdf" in formats:
        from generator.writers.pdf import PdfWriter

        writers.append(PdfWriter())
    if "epub" in formats:
        from generator.writers.epub import EpubWriter

        writers.append(EpubWriter())
    if "html" in formats:
        from generator.writers.html import HtmlWriter

        writers.append(HtmlWriter())
    return writers


def write_outputs(outputs: list[Output]) -> list[Path]:
    """Write all the outputs, or none of them (see writers.write_all)."""
    return write_all(outputs)
