"""``dist``: every document in every format, assembled into ``build/dist/`` for readers and colleagues.

Read as a table of contents: check every document, refuse warnings the author has not
accepted, render every format in memory (the booklet laid out at half the sheet and imposed, as `handout` does),
assemble the folder in memory (one folder and one zip per document, the catalogue page, the
Atom feed, the checksums), then write: the formats to ``build/`` as the other commands do,
and ``build/dist/`` replaced whole. Every byte comes from the sources: dates from the
documents (or ``SOURCE_DATE_EPOCH``), zip entries sorted with fixed times, so two runs give
the same folder.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from babel.numbers import format_decimal
from PIL import Image
from pypdf import PdfReader

from generator.build import check, render_document
from generator.cover import cover_image
from generator.errors import Problem, display_path
from generator.labels import Labels, document_labels, english
from generator.model import Document
from generator.pictures import PICTURE_TYPES, screen_saving
from generator.progress import Progress, silent
from generator.templates import make_environment
from generator.writers import WRITERS, BuildOptions, Output, build_time, variant_suffix, write_atomically

DIST_FOLDER = "dist"
DEFAULT_EMAIL_BUDGET_MB = 10.0
THUMBNAIL_WIDTH = 240  # pixels of the cover thumbnail (shown at 120 CSS px: sharp on a phone)
SUPPLIED_COVER = "images/cover.png"  # the EPUB's own cover: a picture no chapter needs to show


@dataclass(frozen=True)
class DistOptions:
    """The choices of ``dist``."""

    paper: str = "a4"
    allow_warnings: bool = False  # assemble even with warnings (each is still printed)
    qr: bool = False  # QR codes are asked for: a document without url: is a warning
    email_budget_mb: float = DEFAULT_EMAIL_BUDGET_MB  # a PDF or EPUB larger than this is warned about


@dataclass(frozen=True)
class FileKind:
    """One kind of file in a document's folder: the format it is, its name and media type."""

    key: str  # the format's name (its label is format_<key>)
    suffix: str  # after the slug: ".pdf", "-booklet.pdf"
    media_type: str
    mailed: bool = False  # sent as an attachment: held to the e-mail budget


# The files of a document's folder, in the order the catalogue lists them.
KINDS: tuple[FileKind, ...] = (
    FileKind("pdf", ".pdf", "application/pdf", mailed=True),
    FileKind("epub", ".epub", "application/epub+zip", mailed=True),
    FileKind("html", ".html", "text/html"),
    FileKind("booklet", "-booklet.pdf", "application/pdf"),
    FileKind("onepager", "-onepager.pdf", "application/pdf"),
    FileKind("bib", ".bib", "application/x-bibtex"),  # how to cite it (generator/colophon.py)
)


@dataclass(frozen=True)
class DistFile:
    """One file of a document's folder."""

    kind: FileKind
    name: str  # inside the document's folder
    data: bytes
    pages: int | None  # a PDF's page count

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class Entry:
    """One document as the folder holds it: its files, its zip and its cover thumbnail."""

    document: Document
    files: tuple[DistFile, ...]
    thumbnail: bytes  # PNG
    labels: Labels

    @property
    def slug(self) -> str:
        """The document's folder name."""
        return self.document.slug

    @property
    def zip_name(self) -> str:
        """``<slug>.zip``, beside the document's folder."""
        return f"{self.slug}.zip"


@dataclass(frozen=True)
class DistResult:
    """What ``dist`` did: the documents, the outputs written to build/, the folder's files and the size warnings."""

    documents: list[Document]
    written: list[Path]
    folder: Path
    files: dict[str, bytes]
    size_warnings: list[str]


class WarningsNotAccepted(Exception):
    """Warnings stop ``dist``: each with how to fix it, and how to accept them all."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        super().__init__("\n".join(warnings))


def dist(source_dir: Path, slugs: list[str], out_dir: Path, options: DistOptions,
         progress: Progress | None = None) -> DistResult:
    """Build every requested document in every format and assemble ``<out>/dist/``."""
    progress = progress or silent()
    documents = newest_first(check(source_dir, slugs, progress))
    refuse_unaccepted_warnings(documents, options)
    rendered = [render_entry(document, out_dir, options, progress) for document in documents]
    entries = [entry for entry, _outputs in rendered]
    files = assemble(entries)
    with progress.stage("write") as stage:
        outputs = [output for _entry, outputs in rendered for output in outputs]
        for output in outputs:
            write_atomically(output.path, output.data)
        folder = out_dir / DIST_FOLDER
        replace_folder(folder, files, folder_time(documents))
        stage.detail = f"{len(outputs)} outputs, {len(files)} files in {DIST_FOLDER}/"
    return DistResult(documents, [o.path for o in outputs], folder, files, size_warnings(entries, options))


def newest_first(documents: list[Document]) -> list[Document]:
    """The documents newest first; on the same date by title, then slug."""
    by_title = sorted(documents, key=lambda d: (d.meta.title.casefold(), d.slug))
    return sorted(by_title, key=lambda d: d.meta.date, reverse=True)


# The check before sending


def refuse_unaccepted_warnings(documents: list[Document], options: DistOptions) -> None:
    """Every warning of every document, each with its fix; raise unless --allow-warnings accepts them."""
    found = [warning for document in documents for warning in dist_warnings(document, options)]
    if found and not options.allow_warnings:
        raise WarningsNotAccepted([f"{warning}\n  fix: {how_to_fix(warning)}" for warning in found])


def dist_warnings(document: Document, options: DistOptions) -> list[str]:
    """The document's own warnings, its pictures that nothing shows, and a missing url: when QR codes are asked for."""
    warnings = list(dict.fromkeys(document.warnings))
    warnings += [str(problem) for problem in unshown_pictures(document)]
    if options.qr and not document.meta.url:
        warnings.append(str(Problem(document.root / "document.yaml", 1, 1,
                                    "no 'url:' for the QR code to the web edition", warning=True)))
    return warnings


def unshown_pictures(document: Document) -> list[Problem]:
    """A warning for each picture file of the document folder that no chapter, note or definition shows."""
    shown = {picture.name for picture in document.pictures} | {SUPPLIED_COVER}
    files = sorted(p for p in document.root.rglob("*") if p.is_file() and p.suffix.lower() in PICTURE_TYPES
                   and "templates" not in p.relative_to(document.root).parts)
    return [Problem(p, 1, 0, f"picture '{p.relative_to(document.root).as_posix()}' is in the document folder "
                             "but nothing shows it", warning=True)
            for p in files if p.relative_to(document.root).as_posix() not in shown]


# How to fix each kind of warning, found by its words; the last is for any other.
FIXES: tuple[tuple[str, str], ...] = (
    ("is defined but never used", "use the term in a chapter, or remove its entry from glossary.yaml"),
    ("is not listed in 'chapters'", "list the file under 'chapters' in document.yaml, or move it out of the folder"),
    ("no labels for language", "add a catalogue for the language to generator/catalogues/, or set 'language:' to one that has one"),
    ("nothing shows it", "show the picture in a chapter, or delete the file"),
    ("is defined but never referenced", "call the note with [^label] in the text, or remove its '[^label]:' line"),
    ("no 'url:' for the QR code", "add 'url: https://...' (where the web edition will live) to document.yaml, "
                                  "or leave out --qr (make dist QR=0)"),
)


def how_to_fix(warning: str) -> str:
    """What to do about one warning, and how to send regardless."""
    fix = next((text for words, text in FIXES if words in warning), "correct the source it names")
    return f"{fix}; or accept every warning with --allow-warnings (make dist ALLOW_WARNINGS=1)"


# Rendering


def render_entry(document: Document, out_dir: Path, options: DistOptions,
                 progress: Progress) -> tuple[Entry, list[Output]]:
    """Every format of one document, in memory: the entry of the folder and the outputs for build/."""
    build_options = BuildOptions(paper=options.paper)
    # The booklet is laid out on its own, at half the sheet, as `make handout` lays it out.
    outputs = render_document(document, ["pdf", "epub", "html", "booklet"], out_dir, build_options, progress)
    if "onepager" in WRITERS:
        outputs += render_document(document, ["onepager"], out_dir, build_options, progress)
    by_suffix = stable_names(document, outputs, build_options)
    files = tuple(dist_file(kind, document, by_suffix[kind.suffix].data) for kind in KINDS if kind.suffix in by_suffix)
    return Entry(document, files, thumbnail(cover_image(document)), document_labels(document)), outputs


def stable_names(document: Document, outputs: list[Output], options: BuildOptions) -> dict[str, Output]:
    """Each output by its name in the document's folder, after the slug: ``build/<slug>-letter.pdf``
    is ``.pdf`` there, since a dist folder holds one paper's edition under stable names."""
    variant = variant_suffix(options)
    return {o.path.name.removeprefix(document.slug).replace(f"{variant}.", ".", 1): o for o in outputs}


def dist_file(kind: FileKind, document: Document, data: bytes) -> DistFile:
    """A file of the document's folder, with its page count when it is a PDF."""
    pages = len(PdfReader(io.BytesIO(data)).pages) if kind.media_type == "application/pdf" else None
    return DistFile(kind, f"{document.slug}{kind.suffix}", data, pages)


def thumbnail(png: bytes) -> bytes:
    """The cover scaled down to the catalogue's thumbnail width (never up), as a PNG."""
    image = Image.open(io.BytesIO(png))
    image.load()
    if image.width > THUMBNAIL_WIDTH:
        height = round(image.height * THUMBNAIL_WIDTH / image.width)
        image = image.convert("RGB").resize((THUMBNAIL_WIDTH, height), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# Assembling the folder


def assemble(entries: list[Entry]) -> dict[str, bytes]:
    """Every file of the folder by its path inside it: the documents' folders and zips, catalogue, feed, checksums."""
    files: dict[str, bytes] = {}
    for entry in entries:
        for file in entry.files:
            files[f"{entry.slug}/{file.name}"] = file.data
        files[entry.zip_name] = zip_entry(entry)
    labels = catalogue_labels(entries)
    files["index.html"] = catalogue_page(entries, labels).encode("utf-8")
    files["feed.xml"] = atom_feed(entries, labels).encode("utf-8")
    files["SHA256SUMS"] = checksums(files)
    return dict(sorted(files.items()))


def zip_entry(entry: Entry) -> bytes:
    """``<slug>.zip``: the document's folder, entries sorted, times from the document, fixed permissions."""
    stamp = build_time(entry.document).astimezone(dt.timezone.utc)
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for file in sorted(entry.files, key=lambda f: f.name):
            info = zipfile.ZipInfo(f"{entry.slug}/{file.name}", date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the permissions above are read
            archive.writestr(info, file.data, compresslevel=9)
    return out.getvalue()


def catalogue_labels(entries: list[Entry]) -> Labels:
    """The catalogue's words: the documents' language when they share one, else English."""
    languages = {entry.document.meta.language for entry in entries}
    return entries[0].labels if len(languages) == 1 else english()


@dataclass(frozen=True)
class Link:
    """A download link of the catalogue or the feed: where, what, how large."""

    href: str
    label: str
    media_type: str
    size: int
    size_text: str
    pages_text: str


def links(entry: Entry, labels: Labels) -> list[Link]:
    """Each file of a document, then its zip, as the catalogue and the feed link them."""
    result = [Link(f"{entry.slug}/{f.name}", labels[f"format_{f.kind.key}"], f.kind.media_type, f.size,
                   human_size(f.size, labels), labels.format("page_count", count=f.pages) if f.pages else "")
              for f in entry.files]
    size = len(zip_entry(entry))
    result.append(Link(entry.zip_name, labels["format_zip"], "application/zip", size, human_size(size, labels), ""))
    return result


def human_size(size: int, labels: Labels) -> str:
    """A size in SI units for the locale: '812 kB', '1.4 MB' (1 MB is 1,000,000 bytes)."""
    if size < 1_000_000:
        return f"{format_decimal(max(1, round(size / 1000)), locale=labels.locale)}\u00a0kB"
    return f"{format_decimal(round(size / 1_000_000, 1), format='#,##0.0', locale=labels.locale)}\u00a0MB"


def data_uri(png: bytes) -> str:
    """A PNG as a data: URI, so the catalogue needs no other file to show its covers."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def catalogue_page(entries: list[Entry], labels: Labels) -> str:
    """``index.html``: every document newest first, self-contained (styles and covers inside), no scripts."""
    env = make_environment(None, labels)
    return env.get_template("dist/index.html").render(
        entries=[(entry, links(entry, labels), data_uri(entry.thumbnail)) for entry in entries],
        language=entries[0].document.meta.language if labels is entries[0].labels else "en",
        english=labels.language == "en")


def atom_feed(entries: list[Entry], labels: Labels) -> str:
    """``feed.xml``: an Atom feed (RFC 4287) of the documents, each with links to its formats."""
    env = make_environment(None, labels)
    return env.get_template("dist/feed.xml").render(
        feed_id=feed_id(entries), updated=atom_time(folder_time([e.document for e in entries])),
        authors=feed_authors(entries), language=labels.language,
        entries=[(entry, links(entry, labels), atom_time(document_time(entry.document))) for entry in entries])


def feed_id(entries: list[Entry]) -> str:
    """The feed's id: a UUID derived from the identifiers of its documents."""
    names = "\n".join(sorted(entry.document.meta.identifier for entry in entries))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'briefing-dist:' + names)}"


def feed_authors(entries: list[Entry]) -> list[str]:
    """The feed's authors: the publishers of its documents (the tool's name when none has one)."""
    publishers = sorted({e.document.meta.publisher for e in entries if e.document.meta.publisher})
    return publishers or ["briefing generator"]


def document_time(document: Document) -> dt.datetime:
    """When a document was last updated: its date, midnight UTC."""
    return dt.datetime.combine(document.meta.date, dt.time(), tzinfo=dt.timezone.utc)


def folder_time(documents: list[Document]) -> dt.datetime:
    """The folder's timestamp: SOURCE_DATE_EPOCH when set, else the newest document's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return max((document_time(d) for d in documents), default=dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc))


def atom_time(when: dt.datetime) -> str:
    """An RFC 3339 timestamp in UTC, as Atom wants it."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def checksums(files: dict[str, bytes]) -> bytes:
    """``SHA256SUMS``, as ``sha256sum -c`` reads it: one line per file, sorted by path."""
    lines = [f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())]
    return "".join(lines).encode("utf-8")


# Writing


def replace_folder(folder: Path, files: dict[str, bytes], when: dt.datetime) -> None:
    """Write the files into a new folder beside ``folder``, then swap it in: nothing stale is left behind.

    Each file's time is the folder's timestamp, so a copy of the folder (rsync, zip) is the same too.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    old = fresh.with_name(fresh.name + ".old")
    try:
        stamp = when.timestamp()
        for name, data in files.items():
            path = fresh / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.chmod(path, 0o644)
            os.utime(path, (stamp, stamp))
        for sub in sorted({p for p in fresh.rglob("*") if p.is_dir()}, reverse=True):
            os.chmod(sub, 0o755)
        os.chmod(fresh, 0o755)
        if folder.exists():
            folder.rename(old)
        fresh.rename(folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        if old.exists() and not folder.exists():
            old.rename(folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def size_warnings(entries: list[Entry], options: DistOptions) -> list[str]:
    """A warning for each PDF or EPUB larger than the e-mail budget."""
    budget = int(options.email_budget_mb * 1_000_000)
    return [f"warning: {entry.slug}/{file.name} is {file.size / 1_000_000:.1f} MB, over the e-mail budget of "
            f"{options.email_budget_mb:g} MB (--email-budget); send a link to the web edition instead"
            for entry in entries for file in entry.files if file.kind.mailed and file.size > budget]


def size_report(result: DistResult) -> list[str]:
    """One line per file of the folder (its size and path), then what the pictures for screens saved."""
    lines = [f"{len(data):>10,} bytes  {display_path(result.folder / name)}" for name, data in result.files.items()]
    for document in result.documents:
        saved = screen_saving(document)
        if saved > 0:
            lines.append(f"{document.slug}: pictures scaled down for screens save {saved:,} bytes "
                         "in the EPUB and in the web page (the PDF keeps the originals)")
    return lines
