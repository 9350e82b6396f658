"""Build printable briefings (PDF) and e-books (EPUB) from structured Markdown sources."""

__version__ = "0.1.0"
