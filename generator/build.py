"""The build, read as a table of contents: read, check and link, render, write.

Every problem of every document is found in one validation phase (reading, glossary, links,
pictures) and reported together, before anything renders. Nothing touches the output folder
until every document has rendered, so a bad source never leaves a half-built set of files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.budget import size_pass
from generator.citations import citation_pass
from generator.colophon import bibtex
from generator.errors import Problem, SourceError
from generator.glossary import glossary_pass
from generator.links import link_pass
from generator.labels import document_labels
from generator.model import Document
from generator.pictures import check_pictures
from generator.progress import Progress, silent
from generator.source import document_root, find_documents, read_document, reading_order
from generator.templates import make_environment
from generator.typography import typography_pass
from generator.xref import xref_pass
from generator.writers import FORMATS, BuildOptions, Output, WriteContext, write_all, writer_for

__all__ = ["FORMATS", "Output", "BuildResult", "build", "check"]

# The passes every document goes through after reading, in order: document in, document out.
Pass = Callable[[Document], tuple[Document, list[Problem]]]
PASSES: tuple[tuple[str, Pass], ...] = (
    ("pictures", check_pictures),
    ("citations", citation_pass),  # before typography, which sets the rendered entries' quotes
    ("typography", typography_pass),
    ("glossary", glossary_pass),
    ("links", link_pass),
    ("xref", xref_pass),  # after links: its links are made resolved, as "#id"
    ("size", size_pass),
)
# The editions a reader cites the briefing from: building all of them at once (`all`, `make`,
# `dist`) writes <slug>.bib beside them; a single format's build writes only its own file.
CITED_WITH = frozenset({"pdf", "epub", "html"})
# The formats that render in a moment (about 1 s for a 300-page report, where its PDF takes
# 20 s): a staged build (the watch) writes each of them first, so that the author of a long
# document reads the change on the web page while the PDF is being laid out.
QUICK_FORMATS = ("html", "epub")


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
    """Read every document and run every pass; all problems of all documents raise together."""
    progress = progress or silent()
    roots = [document_root(source_dir, slug) for slug in slugs or find_documents(source_dir)]
    documents: list[Document] = []
    problems: list[Problem] = []
    with progress.stage("load") as stage:
        for root in roots:
            document, found = read_document(root)
            documents.append(document)
            problems.extend(found)
        stage.detail = f"{len(documents)} document{'s' if len(documents) != 1 else ''}"
    checked = []
    for document in documents:
        with progress.stage("link", document.slug):
            document, found = run_passes(document)
        checked.append(document)
        problems.extend(found)
    if any(not p.warning for p in problems):
        raise SourceError(reading_order(problems))
    return checked  # warnings alone: each document carries its own


def run_passes(document: Document) -> tuple[Document, list[Problem]]:
    """Every pass over one document, each on the output of the one before; their problems together."""
    problems: list[Problem] = []
    for _name, run in PASSES:
        document, found = run(document)
        problems.extend(found)
    return document, problems


def render_document(document: Document, formats: list[str], out_dir: Path, options: BuildOptions,
                    progress: Progress | None = None) -> list[Output]:
    """Render one document into each requested format, in memory."""
    env = make_environment(document.root, document_labels(document))
    outputs: list[Output] = []
    for name in (f for f in FORMATS if f in formats):
        ctx = WriteContext(document=document, env=env, options=options, out_dir=out_dir)
        with (progress or silent()).stage(f"render {name}", document.slug):
            outputs.extend(writer_for(name).render(ctx))
    return outputs + citation_record(document, formats, out_dir)


def citation_record(document: Document, formats: list[str], out_dir: Path) -> list[Output]:
    """<slug>.bib when the formats are the editions a reader cites (CITED_WITH), else nothing."""
    if not CITED_WITH <= set(formats):
        return []
    return [Output(out_dir / f"{document.slug}.bib", bibtex(document).encode("utf-8"))]


def stages(formats: list[str], paged_first: bool = False) -> list[list[str]]:
    """The formats in the order a staged build writes them: each quick one alone, then the rest
    together; or the rest first (``paged_first``: for a document whose PDF is quick, the PDF is
    what its author waits for)."""
    quick = [[name] for name in QUICK_FORMATS if name in formats]
    paged = [name for name in FORMATS if name in formats and name not in QUICK_FORMATS]
    rest = [paged] if paged else []
    return rest + quick if paged_first else quick + rest


def build_in_stages(source_dir: Path, slugs: list[str], formats: list[str], out_dir: Path, options: BuildOptions,
                    progress: Progress, staged: Callable[[list[str]], None], paged_first: bool = False) -> BuildResult:
    """Build as build() does, but write each stage's files as soon as they have rendered, the quick
    formats first (the paged ones first with ``paged_first``: see stages()); ``staged`` is told of
    each stage written but the last. A source problem still
    stops everything before a file is written; a later stage's failure leaves the earlier files
    new and its own old."""
    documents = check(source_dir, slugs, progress)
    groups = stages(formats, paged_first)
    written: list[Path] = []
    for number, group in enumerate(groups, start=1):
        last = number == len(groups)
        outputs = [out for doc in documents for out in render_document(doc, group, out_dir, options, progress)]
        outputs += [out for doc in documents for out in citation_record(doc, formats, out_dir)] if last else []
        written += write_outputs(outputs)
        if not last:
            staged(group)
    return BuildResult(documents, written)


def write_outputs(outputs: list[Output]) -> list[Path]:
    """Write all the outputs, or none of them (see writers.write_all)."""
    return write_all(outputs)
