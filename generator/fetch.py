"""The one URL fetcher: resources come only from the document's folder and the project's own files.

WeasyPrint would otherwise read any file: URL and any web address a source names, which
would let a chapter pull /etc/passwd or a tracking pixel into a handout.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse


class RefusedResource(FatalURLFetchingError):
    """A resource outside the allowed folders, or on the network."""


class SandboxedFetcher(URLFetcher):
    """Serves file: URLs below a fixed set of folders; refuses everything else."""

    def __init__(self, allowed_dirs: list[Path]) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.allowed_dirs = [d.resolve() for d in allowed_dirs]

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the file's bytes if it lies below an allowed folder, else raise RefusedResource."""
        path = self.resolve(url)
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": _media_type(path)})

    def resolve(self, url: str) -> Path:
        """The real path a URL names, after following symlinks; refuses what is not allowed."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise RefusedResource(f"refused {url}: only files inside the document folder may be used")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(d) for d in self.allowed_dirs):
            raise RefusedResource(f"refused {url}: it lies outside the document folder")
        if not path.is_file():
            raise RefusedResource(f"missing file {path}")
        return path


MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".css": "text/css",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def _media_type(path: Path) -> str:
    """The media type a file's extension implies."""
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
