"""Cite this briefing: the colophon in every output, the licence in the PDF's XMP, ``<slug>.bib``.

Fixtures (tests/fixtures/colophon/): ``cited`` gives authors, publisher, a DOI, an address and a
licence; ``licensed-fr`` a licence alone, in French; ``silent`` nothing a colophon could say.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from generator.colophon import bibtex_text
from generator.writers.press import INSTALLED_PROFILE
from tests.conftest import FIXTURES, run_generator
from tests.helpers import epubcheck_problems, pdf_text

SOURCE = FIXTURES / "colophon"
XHTML = {"x": "http://www.w3.org/1999/xhtml"}
RDF = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dc": "http://purl.org/dc/elements/1.1/",
       "xmpRights": "http://ns.adobe.com/xap/1.0/rights/"}

CITATION = ("Benchmark Desk, Energy Unit (2026). Water & Power: Grids under strain. Briefing Press. "
            "https://doi.org/10.5281/zenodo.1234567")
LICENCE = ("Licensed under Creative Commons Attribution 4.0 International (CC-BY-4.0): "
           "https://creativecommons.org/licenses/by/4.0/")
LICENCE_FR = ("Sous licence Creative Commons Attribution Share Alike 4.0 International (CC-BY-SA-4.0)\u00a0: "
              "https://creativecommons.org/licenses/by-sa/4.0/")
CITED_BIB = """@report{cited,
  author = {{Benchmark Desk} and {Energy Unit}},
  title = {{Water \\& Power: Grids under strain}},
  type = {Briefing},
  institution = {Briefing Press},
  date = {2026-11-25},
  year = {2026},
  doi = {10.5281/zenodo.1234567},
  url = {https://example.org/briefings/water-power/}
}
"""
SILENT_BIB = """@misc{silent,
  title = {{Quiet Notes}},
  date = {2026-03-02},
  year = {2026}
}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three fixtures built as PDF, EPUB and web page."""
    out = tmp_path_factory.mktemp("colophon")
    result = run_generator("all", "--source", str(SOURCE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as one space (a no-break space kept)."""
    return " ".join(text.replace("\n", " ").split(" ")).replace("  ", " ")


def pdf_words(path: Path) -> str:
    """The PDF's text with every line break removed (addresses break at slashes)."""
    return "".join(pdf_text(path).split("\n"))


def colophon_of(root: etree._Element) -> etree._Element | None:
    """The colophon section of a parsed page, or None."""
    found = root.xpath("//*[@role='doc-colophon']")
    return found[0] if found else None


def text_of(element: etree._Element, css_class: str) -> str:
    """The whole text of the one descendant of this class."""
    (found,) = element.xpath(f".//*[@class='{css_class}']")
    return "".join(found.itertext())


def epub_title_page(path: Path) -> etree._Element:
    """The EPUB's title page, parsed as XML."""
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("title.xhtml"))
        return etree.fromstring(archive.read(name))


def xmp(path: Path) -> etree._Element:
    """The PDF's XMP packet, parsed."""
    reader = PdfReader(str(path))
    data = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return etree.fromstring(data)


def test_pdf_ends_with_the_citation_and_the_licence(built: Path) -> None:
    """The last page of the PDF says how to cite the briefing and under which licence, after the QR code."""
    reader = PdfReader(str(built / "cited.pdf"))
    last = "".join(reader.pages[-1].extract_text().split("\n"))
    assert "HOW TO CITE" in last.upper()
    assert CITATION.replace(" ", "") in last.replace(" ", "")
    assert LICENCE.replace(" ", "") in last.replace(" ", "")
    assert last.index("Read the full edition online") < last.upper().index("HOW TO CITE")


def test_pdf_licence_line_is_in_the_document_language(built: Path) -> None:
    """A licence alone gives the licence line in French, and no "How to cite"."""
    words = pdf_words(built / "licensed-fr.pdf")
    assert LICENCE_FR.replace(" ", "").replace("\u00a0", "") in words.replace(" ", "").replace("\u00a0", "")
    assert "Pour citer" not in words


def test_epub_title_page_has_the_colophon(built: Path) -> None:
    """The EPUB's title page holds the colophon (doc-colophon, epub:type colophon), the title in <cite>."""
    section = colophon_of(epub_title_page(built / "cited.epub"))
    assert section is not None
    assert section.get("{http://www.idpf.org/2007/ops}type") == "colophon"
    assert section.get("aria-label") == "Colophon"
    assert text_of(section, "how-to-cite-label") == "How to cite"
    assert text_of(section, "how-to-cite") == CITATION
    assert section.find(".//x:cite", XHTML).text == "Water & Power: Grids under strain"
    assert text_of(section, "licence-line") == LICENCE
    licence_link = section.find(".//x:a[@rel='license']", XHTML)
    assert licence_link is not None and licence_link.get("href") == "https://creativecommons.org/licenses/by/4.0/"


def test_epub_with_colophon_passes_epubcheck(built: Path) -> None:
    """EPUBCheck accepts the title page with its colophon."""
    assert epubcheck_problems(built / "cited.epub") == []


def test_web_page_footer_has_the_colophon(built: Path) -> None:
    """The web page's footer says how to cite the briefing and its licence, with links."""
    root = lxml_html.parse(str(built / "cited.html")).getroot()
    (section,) = root.xpath("//footer[@class='colophon']//*[@role='doc-colophon']")
    assert text_of(section, "how-to-cite") == CITATION
    assert text_of(section, "licence-line") == LICENCE
    assert [a.get("href") for a in section.iter("a")] == ["https://doi.org/10.5281/zenodo.1234567",
                                                          "https://creativecommons.org/licenses/by/4.0/"]
    french = lxml_html.parse(str(built / "licensed-fr.html")).getroot()
    (section,) = french.xpath("//*[@role='doc-colophon']")
    assert text_of(section, "licence-line") == LICENCE_FR and not section.xpath(".//*[@class='how-to-cite']")


def test_no_colophon_when_the_document_says_nothing(built: Path) -> None:
    """Without authors, publisher, address, DOI or licence there is no colophon anywhere."""
    assert colophon_of(epub_title_page(built / "silent.epub")) is None
    assert colophon_of(lxml_html.parse(str(built / "silent.html")).getroot()) is None
    words = pdf_words(built / "silent.pdf").upper()
    assert "HOW TO CITE" not in words and "LICENSED" not in words
    assert not xmp(built / "silent.pdf").xpath("//dc:rights | //xmpRights:WebStatement", namespaces=RDF)


def test_pdf_xmp_names_the_licence(built: Path) -> None:
    """The PDF's XMP has dc:rights, xmpRights:WebStatement and xmpRights:Marked True."""
    packet = xmp(built / "cited.pdf")
    rights = packet.xpath("//dc:rights/rdf:Alt/rdf:li", namespaces=RDF)
    assert [(li.get("{http://www.w3.org/XML/1998/namespace}lang"), li.text) for li in rights] == [("x-default", LICENCE)]
    assert packet.xpath("//xmpRights:WebStatement/text()", namespaces=RDF) == ["https://creativecommons.org/licenses/by/4.0/"]
    assert packet.xpath("//xmpRights:Marked/text()", namespaces=RDF) == ["True"]
    assert len(packet.xpath("//rdf:RDF", namespaces=RDF)) == 1  # inside WeasyPrint's own, not a second packet


def test_bib_written_beside_the_outputs(built: Path) -> None:
    """``<slug>.bib`` cites the briefing: a @report with a publisher, a @misc without."""
    assert (built / "cited.bib").read_text(encoding="utf-8") == CITED_BIB
    assert (built / "silent.bib").read_text(encoding="utf-8") == SILENT_BIB


def test_bibtex_escapes_special_characters() -> None:
    """BibTeX's special characters are escaped, other characters kept."""
    assert bibtex_text("R&D 100% {x} #1 a_b ~ ^ \\ é") == (
        r"R\&D 100\% \{x\} \#1 a\_b \textasciitilde{} \textasciicircum{} \textbackslash{} é")


def test_pdf_with_licence_is_byte_reproducible(built: Path, tmp_path: Path) -> None:
    """A second build of the PDF with its licence in the XMP gives the same bytes."""
    result = run_generator("pdf", "cited", "--source", str(SOURCE), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cited.pdf").read_bytes() == (built / "cited.pdf").read_bytes()


def test_xmp_licence_skipped_on_another_weasyprint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """On another WeasyPrint release the XMP is WeasyPrint's own, and the PDF still builds."""
    from generator import engine

    monkeypatch.setattr(engine, "installed_version", lambda distribution: "71.0")
    monkeypatch.setattr(engine, "_warned", set())

    class Metadata:
        def generate_rdf_metadata(self) -> bytes:
            return b"<rdf/>"

    metadata = Metadata()
    engine.licence_in_xmp(metadata, "Licensed", "https://example.org/")
    assert "generate_rdf_metadata" not in vars(metadata)


@pytest.mark.skipif(not INSTALLED_PROFILE.is_file() and not os.environ.get("CI"),
                    reason=f"no CMYK profile at {INSTALLED_PROFILE}: run make .venv/.installed test")
def test_print_variant_xmp_names_the_licence_beside_pdf_x(tmp_path: Path) -> None:
    """The print shop's PDF/X-4 keeps its own XMP (GTS_PDFXVersion) and names the licence too."""
    result = run_generator("print", "cited", "--source", str(SOURCE), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    packet = xmp(tmp_path / "cited-print.pdf")
    assert packet.xpath("//xmpRights:WebStatement/text()", namespaces=RDF) == ["https://creativecommons.org/licenses/by/4.0/"]
    assert packet.xpath("//*[local-name()='GTS_PDFXVersion']/text()")
