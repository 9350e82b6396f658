"""End to end: the seed briefing built by the real command into PDF and EPUB."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pypdf import PdfReader

from generator.source import load_document
from tests.conftest import FIXTURES, SEED, SOURCE
from tests.helpers import NS, article_sentences, epub_xml, squash


def test_pdf_holds_every_sentence_of_the_article(seed_pdf: Path) -> None:
    """Each sentence of the source article appears in the PDF's text, wording unchanged (running
    headers and footers left out: in the briefing plan a sentence may run on to the next page)."""
    text = squash(body_text(seed_pdf))
    sentences = article_sentences(FIXTURES / "source-article.txt")
    assert len(sentences) > 20
    missing = [s for s in sentences if squash(s) not in text]
    assert missing == []


def body_text(pdf: Path) -> str:
    """The PDF's text inside the top and bottom margins (18 mm each; the briefing plan's are 20 and 19 mm)."""
    margin = 18 * 72 / 25.4
    height = float(PdfReader(str(pdf)).pages[0].mediabox.height)
    return subprocess.run(["pdftotext", "-x", "0", "-y", str(int(margin)), "-W", "1000", "-H", str(int(height - 2 * margin)),
                           str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_metadata_title_author_language(seed_pdf: Path) -> None:
    """The PDF carries the title, author and language of document.yaml."""
    reader = PdfReader(str(seed_pdf))
    assert reader.metadata.title == "Amazon and Anthropic"
    assert reader.metadata.author == "Policy Research Desk"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_pdf_has_glossary_appendix_with_every_term(seed_pdf: Path) -> None:
    """The last pages hold the glossary with every term."""
    reader = PdfReader(str(seed_pdf))
    start = next(i for i, p in enumerate(reader.pages) if (p.extract_text() or "").lstrip().startswith("Glossary") or "\nGlossary\n" in (p.extract_text() or "")[:200])
    appendix = "\n".join(p.extract_text() or "" for p in reader.pages[start:])
    for entry in load_document(SOURCE / SEED).glossary:
        assert entry.term in appendix


def test_epub_glossary_appendix_is_last_and_lists_every_term(seed_epub: Path) -> None:
    """The glossary is the last spine item and defines every term."""
    opf = epub_xml(seed_epub, "EPUB/content.opf")
    spine = opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)
    assert spine[-1] == "glossary"
    glossary = epub_xml(seed_epub, "EPUB/glossary.xhtml")
    terms = [t.xpath("string()").strip() for t in glossary.xpath("//x:dt/x:dfn", namespaces=NS)]
    assert sorted(terms, key=str.casefold) == sorted((e.term for e in load_document(SOURCE / SEED).glossary), key=str.casefold)


def test_epub_has_one_xhtml_file_per_chapter(seed_epub: Path) -> None:
    """Every chapter has its own content document in the spine, in order."""
    opf = epub_xml(seed_epub, "EPUB/content.opf")
    spine = opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)
    chapters = [c.id for c in load_document(SOURCE / SEED).chapters]
    assert [s for s in spine if s in chapters] == chapters
