"""Cite this briefing: the colophon's "How to cite" and licence lines, and ``<slug>.bib``.

From ``document.yaml``'s authors, date, title, subtitle, publisher, ``doi``, ``url`` and
``licence``. The citation is Chicago-ish, the same words in every language (it is a reference,
not prose): "Benchmark Desk (2026). Title: Subtitle. Publisher. https://doi.org/10.…"; a
document without authors starts with its title. The DOI is preferred to ``url:`` (it outlives
the address). The colophon says nothing (and is left out) when the document gives no authors,
publisher, DOI or address and no licence: a title and a year alone are no help to a reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from generator.labels import Labels
from generator.licences import LICENCES, Licence
from generator.model import Document, Metadata

DOI_RESOLVER = "https://doi.org/"
ENDS_SENTENCE = (".", "?", "!", "…")


@dataclass(frozen=True)
class Piece:
    """One run of the citation: plain text, the title (set in italics) or the address (a link)."""

    kind: str  # "text", "title" or "link"
    text: str


@dataclass(frozen=True)
class Colophon:
    """What the colophon says: the citation's parts and the licence, if any."""

    creators: str  # the authors, joined with ", "; "" for none
    year: str
    title: str  # "Title: Subtitle"
    publisher: str
    link: str  # https://doi.org/<doi>, else url:, else ""
    licence: Licence | None

    @property
    def cites(self) -> bool:
        """Whether there is a "How to cite" line: authors, a publisher or an address to give."""
        return bool(self.creators or self.publisher or self.link)

    def __bool__(self) -> bool:
        return self.cites or self.licence is not None

    @property
    def pieces(self) -> tuple[Piece, ...]:
        """The citation as runs, each sentence closed by a full stop unless it ends with one."""
        head = ([Piece("text", f"{self.creators} ({self.year}). "), Piece("title", self.title)] if self.creators
                else [Piece("title", self.title), Piece("text", f" ({self.year})")])
        pieces = [*head, Piece("text", "" if self.creators and self.title.endswith(ENDS_SENTENCE) else ".")]
        if self.publisher:
            pieces.append(Piece("text", f" {_sentence(self.publisher)}"))
        if self.link:
            pieces += [Piece("text", " "), Piece("link", self.link)]
        return tuple(p for p in pieces if p.text)

    @property
    def citation(self) -> str:
        """The citation as plain text."""
        return "".join(p.text for p in self.pieces)

    def licence_markup(self, labels: Labels) -> Markup:
        """The licence line in the document's language, its address a link (``rel="license"``)."""
        assert self.licence is not None
        address = escape(self.licence.url)
        link = Markup(f'<a href="{address}" rel="license">{address}</a>')
        return Markup(escape(labels["licence_line"])).format(licence=self.licence_name, url=link)

    def licence_text(self, labels: Labels) -> str:
        """The licence line as plain text."""
        assert self.licence is not None
        return labels.format("licence_line", licence=self.licence_name, url=self.licence.url)

    @property
    def licence_name(self) -> str:
        """'Creative Commons Attribution 4.0 International (CC-BY-4.0)'."""
        assert self.licence is not None
        return f"{self.licence.name} ({self.licence.id})"


def colophon(meta: Metadata) -> Colophon:
    """The colophon of a document's metadata (false when it has nothing to say)."""
    title = f"{meta.title}: {meta.subtitle}" if meta.subtitle else meta.title
    link = f"{DOI_RESOLVER}{meta.doi}" if meta.doi else meta.url
    return Colophon(", ".join(meta.authors), str(meta.date.year), title, meta.publisher, link,
                    LICENCES.get(meta.licence) if meta.licence else None)


def _sentence(text: str) -> str:
    return text if text.endswith(ENDS_SENTENCE) else f"{text}."


# BibTeX: the briefing as a BibLaTeX @report (@misc without a publisher)

BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                  "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bibtex_text(text: str) -> str:
    """Text as a BibTeX field's value: its special characters escaped (UTF-8 kept, as biber reads it)."""
    return "".join(BIBTEX_SPECIAL.get(char, char) for char in text)


def bibtex(document: Document) -> str:
    """``<slug>.bib``: one entry citing the briefing, keyed by its slug.

    Each author is braced whole (``{Policy Research Desk}``), since briefings are mostly
    written by desks and institutions, which BibTeX would otherwise split into given and
    family names; the title is braced whole so that styles keep its capitals.
    """
    meta = document.meta
    title = f"{meta.title}: {meta.subtitle}" if meta.subtitle else meta.title
    fields = [
        ("author", " and ".join(f"{{{bibtex_text(a)}}}" for a in meta.authors)),
        ("title", f"{{{bibtex_text(title)}}}"),
        ("type", bibtex_text(meta.kind)),
        ("institution" if meta.publisher else "", bibtex_text(meta.publisher)),
        ("date", meta.date.isoformat()),
        ("year", str(meta.date.year)),
        ("doi", meta.doi),
        ("url", meta.url),
    ]
    entry = "report" if meta.publisher else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if name and value)
    return f"@{entry}{{{document.slug},\n{body}\n}}\n"
