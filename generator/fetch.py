"""The one URL fetcher: resources come only from the document's folder and the project's own files.

WeasyPrint would otherwise read any file: URL and any web address a source names, which
would let a chapter pull /etc/passwd or a tracking pixel into a handout. (Every picture was
already checked by the pictures pass, with file and line; this is the second wall.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.engine import import_weasyprint

import_weasyprint()  # the PDF commands' first import of WeasyPrint: 0.2 s quicker (engine.QUICK_IMPORT)

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from generator.files import Unreadable, read_limited
from generator.pictures import PICTURE_TYPES

# The only kinds of file a briefing is made of besides its text: pictures (the one table of
# them, in generator/pictures.py), stylesheets and fonts.
MEDIA_TYPES = {ext: kind.media_type for ext, kind in PICTURE_TYPES.items()} | {
    ".css": "text/css",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


# The document folder's address as WeasyPrint sees it, the same wherever the folder lies:
# WeasyPrint names each embedded picture after an md5 of its URL, so a real file: URL of the
# folder would make the PDF's bytes depend on the folder's path.
DOCUMENT_BASE = "file:///briefing-document/"
# The print variant's CMYK profile as its stylesheet names it (templates/print/press.css), the
# same URL whichever file is given, for the same reason.
PROFILE_URL = "file:///briefing-print/output-intent.icc"


# The files whose change makes a layout's fonts stale (generator/writers/pdf_fonts.py).
STAMPED = frozenset({".css", ".otf", ".ttf", ".woff", ".woff2"})

Stamp = tuple[int, int] | None  # a file's size and modification time (ns); None: it is gone


def file_stamp(path: Path) -> Stamp:
    """A file's size and modification time, None when it cannot be read."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class RefusedResource(FatalURLFetchingError):
    """A resource outside the allowed folders, on the network, of a kind we never read, or missing."""


class FetchedResponse(URLFetcherResponse):
    """A response whose file WeasyPrint may not read again by its path: it uses the bytes we read."""

    @property
    def path(self) -> None:
        """No path: the bytes were read (and checked) here."""
        return None


class SandboxedFetcher(URLFetcher):
    """Serves file: URLs below a fixed set of folders; refuses everything else.

    With a ``document`` folder, :data:`DOCUMENT_BASE` stands for it: give WeasyPrint
    :attr:`base_url`, and every URL of the folder is the same whatever its real path.
    """

    def __init__(self, allowed_dirs: list[Path], document: Path | None = None, profile: bytes | None = None) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.allowed_dirs = [d.resolve() for d in allowed_dirs]
        self.document = document.resolve() if document is not None else None
        self.profile = profile  # the bytes PROFILE_URL serves (the print variant), read and checked beforehand
        self.stamps: dict[Path, Stamp] = {}  # each stylesheet and font served, as it was before it was read

    @property
    def base_url(self) -> str:
        """The base URL to hand WeasyPrint for the document's HTML."""
        return DOCUMENT_BASE if self.document is not None else self.allowed_dirs[0].as_uri() + "/"

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the file's bytes if it lies below an allowed folder, else raise RefusedResource."""
        if url == PROFILE_URL and self.profile is not None:
            return FetchedResponse(url, body=self.profile, headers={"Content-Type": "application/vnd.iccprofile"})
        real = self.real_url(url)
        path = self.resolve(real)
        if path.suffix.lower() in STAMPED:
            self.stamps[path] = file_stamp(path)
        try:
            body = read_limited(path)
        except Unreadable as error:
            raise RefusedResource(f"refused {_short(real)}: {error.reason}") from None
        return FetchedResponse(url, body=body, headers={"Content-Type": media_type(path)})

    def real_url(self, url: str) -> str:
        """The file: URL a URL of DOCUMENT_BASE stands for (any other URL unchanged)."""
        if self.document is None or not url.startswith(DOCUMENT_BASE):
            return url
        return self.document.as_uri() + "/" + url[len(DOCUMENT_BASE):]

    def resolve(self, url: str) -> Path:
        """The real path a URL names, after following symlinks; refuses what is not allowed."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in {"", "localhost"}:
            raise RefusedResource(f"refused {_short(url)}: only files inside the document folder may be used")
        path = Path(unquote(parts.path)).resolve()  # resolves '..' and symlinks before the check
        if not any(path.is_relative_to(d) for d in self.allowed_dirs):
            raise RefusedResource(f"refused {_short(url)}: it lies outside the document folder")
        if path.suffix.lower() not in MEDIA_TYPES:
            raise RefusedResource(f"refused {_short(url)}: only pictures, stylesheets and fonts are read")
        if not path.is_file():
            raise RefusedResource(f"missing file {_short(url)}")
        return path


def refuse_attachments(rendered: Any) -> None:
    """Stop before writing a PDF that would embed files: no attachment is configured, so none is allowed.

    ``rendered`` is a laid-out WeasyPrint document; attachments are only fetched when the
    PDF is written, so refusing here means they are never read.
    """
    targets = [str(target).removeprefix(DOCUMENT_BASE) for page in rendered.pages for kind, target, *_ in page.links
               if kind == "attachment"]  # a file of the document is named by its path in the folder
    targets += ["<link rel=\"attachment\">" for _ in rendered.metadata.attachments]
    if targets:
        raise RefusedResource(f"refused attachment {_short(targets[0])}: files are never attached to the PDF")


def media_type(path: Path) -> str:
    """The media type a file's extension implies."""
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _short(url: str) -> str:
    """A URL shortened for a message (a data: URL can be megabytes long)."""
    return url if len(url) <= 120 else url[:117] + "..."
