"""The web version: one self-contained HTML file per document, parsed as a browser would."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import lxml.html
import pytest

from generator.build import check
from tests.conftest import FIXTURES, SEED, SOURCE, build_fixture, run_generator

WEB_DOC = "web-doc"


@pytest.fixture(scope="module")
def seed_html(seed_build: Path) -> Path:
    """The seed briefing's web page, built with its PDF and EPUB by the real command."""
    return seed_build / f"{SEED}.html"


@pytest.fixture(scope="module")
def fixture_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web page of the fixture with pictures, footnotes and a table."""
    return build_fixture(tmp_path_factory, WEB_DOC, "html") / f"{WEB_DOC}.html"


def parse(path: Path) -> lxml.html.HtmlElement:
    """The page's element tree."""
    return lxml.html.fromstring(path.read_bytes())


def ids(page: lxml.html.HtmlElement) -> set[str]:
    """Every id in the page."""
    return set(page.xpath("//@id"))


def test_every_fragment_link_resolves(seed_html: Path, fixture_html: Path) -> None:
    """Each href="#x" in both pages names an id that exists, and ids are unique."""
    for path in (seed_html, fixture_html):
        page = parse(path)
        all_ids = page.xpath("//@id")
        assert len(all_ids) == len(set(all_ids))
        targets = [h[1:] for h in page.xpath("//a/@href") if h.startswith("#")]
        assert len(targets) > 10
        assert [t for t in targets if t not in set(all_ids)] == []


def test_toc_lists_every_chapter_and_section_in_order(seed_html: Path) -> None:
    """The contents link to each chapter, its level-2 sections and the glossary, in reading order."""
    page = parse(seed_html)
    document = check(SOURCE, [SEED])[0]
    hrefs = page.xpath("//nav[@class='toc']//a/@href")
    expected = []
    for chapter in document.chapters:
        expected += [f"#{chapter.id}"] + [f"#{h.id}" for h in chapter.headings if h.level == 2]
    assert hrefs == [*expected, "#glossary"]
    titles = [" ".join(a.text_content().split()) for a in page.xpath("//li[contains(@class,'toc-chapter')]/a")]
    assert titles[:-1] == [f"{c.number} {c.title}" for c in document.chapters]


def test_glossary_links_and_back_links_match_the_model(seed_html: Path) -> None:
    """Every recorded term use is in the page, linked ones point at the entry, and the entry links back to each use."""
    page = parse(seed_html)
    document = check(SOURCE, [SEED])[0]
    assert sum(len(e.uses) for e in document.glossary) > 10
    for entry in document.glossary:
        assert page.xpath(f"//dt[@id='{entry.id}']/dfn")[0].text == entry.term
        back = page.xpath(f"//dt[@id='{entry.id}']/following-sibling::dd[1]//a[@class='use']/@href")
        assert back == [f"#{use.anchor}" for use in entry.uses]
        for use in entry.uses:
            element = page.get_element_by_id(use.anchor)
            if use.linked:
                assert element.tag == "a" and element.get("href") == f"#{entry.id}"
            else:
                assert element.tag == "span" and "term-use" in element.get("class", "")


def test_no_external_resources(seed_html: Path, fixture_html: Path) -> None:
    """Styles are inline and every picture is a data: URI; nothing is fetched from a file or the network."""
    for path in (seed_html, fixture_html):
        page = parse(path)
        assert page.xpath("//link[@rel='stylesheet'] | //script[@src] | //iframe | //object | //embed") == []
        assert all(src.startswith("data:image/") for src in page.xpath("//@src | //@srcset | //@poster"))
        css = "\n".join(page.xpath("//style/text()"))
        assert "@import" not in css
        assert [u for u in re.findall(r"url\(\s*['\"]?([^'\")]*)", css) if not u.startswith("data:")] == []
        assert page.xpath("//*[@style[contains(., 'url(')]]") == []


def test_pictures_are_embedded_byte_for_byte(fixture_html: Path) -> None:
    """The PNG and SVG of the fixture are inside the page as data: URIs with their exact bytes and alt text."""
    page = parse(fixture_html)
    images = {img.get("alt"): img.get("src") for img in page.xpath("//img")}
    chart = images["Bar chart of monthly volumes"]
    assert chart.startswith("data:image/png;base64,")
    assert base64.b64decode(chart.split(",", 1)[1]) == (FIXTURES / WEB_DOC / "images/chart.png").read_bytes()
    quay = images["Plan of the quay"]
    assert quay.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(quay.split(",", 1)[1]) == (FIXTURES / WEB_DOC / "images/quay.svg").read_bytes()


def test_footnotes_are_listed_under_their_chapter_with_back_links(fixture_html: Path) -> None:
    """Each chapter's notes follow its text in order, the markers link down and the notes link back up."""
    page = parse(fixture_html)
    notes = page.xpath("//section[@id='ch1']//section[@role='doc-endnotes']//li")
    assert [" ".join(li.text_content().split()) for li in notes] == ["Port authority figures, unaudited. ↩︎", "Drawn to scale. ↩︎"]
    for number, li in enumerate(notes, start=1):
        assert li.get("id") == f"ch1-fn{number}"
        assert li.xpath(".//a[@role='doc-backlink']/@href") == [f"#ch1-fnref{number}"]
        marker = page.get_element_by_id(f"ch1-fnref{number}")
        assert marker.get("href") == f"#ch1-fn{number}" and marker.text == str(number)
    assert page.xpath("//section[@id='ch2']//section[@role='doc-endnotes']") == []


def test_page_is_responsive_and_printable(seed_html: Path) -> None:
    """The page has a viewport meta, a wide-screen layout rule and a print stylesheet."""
    page = parse(seed_html)
    assert page.xpath("//meta[@name='viewport']/@content") == ["width=device-width, initial-scale=1"]
    css = "\n".join(page.xpath("//style/text()"))
    assert re.search(r"@media\s+print\s*{", css)
    assert re.search(r"@media\s*\(min-width:", css)
    assert page.get("lang") == "en"
    assert page.xpath("//title/text()")[0].startswith("Amazon and Anthropic")


def test_headings_form_one_outline(seed_html: Path) -> None:
    """The title is the only h1; chapters are h2 and their sections h3; no EPUB-only attributes remain."""
    page = parse(seed_html)
    assert [h.text_content() for h in page.xpath("//h1")] == ["Amazon and Anthropic"]
    assert len(page.xpath("//section[@class='chapter']/h2[@class='chapter-title']")) == 5
    assert page.get_element_by_id("ch2-why-amazon-moved-now").tag == "h3"
    assert "epub:type" not in seed_html.read_text(encoding="utf-8")


def test_page_holds_the_text_of_every_chapter(seed_html: Path) -> None:
    """The text of each chapter of the seed (as the model holds it) appears in the page."""
    page = parse(seed_html)
    text = " ".join(page.text_content().replace("\u2060", "").split())  # word joiners keep note markers with their words
    for chapter in check(SOURCE, [SEED])[0].chapters:
        body = " ".join(chapter.body.text().split())
        assert body in text


@pytest.mark.parametrize("src, reason", [
    ("/etc/passwd", "outside the document folder"),
    ("../../secret.png", "outside the document folder"),
    ("https://example.com/pixel.png", "only files inside the document folder"),
    ("images/missing.png", "missing file"),
    ("notes.txt", "is not a picture"),
])
def test_a_picture_outside_the_sandbox_is_refused(tmp_path: Path, src: str, reason: str) -> None:
    """A picture that is outside the folder, on the network, missing or not a picture stops the build with path:line."""
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / WEB_DOC, source / WEB_DOC)
    (tmp_path / "secret.png").write_bytes((FIXTURES / WEB_DOC / "images/chart.png").read_bytes())
    (source / WEB_DOC / "notes.txt").write_text("not a picture\n", encoding="utf-8")
    chapter = source / WEB_DOC / "02-outlook.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n![A picture]({src})\n", encoding="utf-8")
    line = len(chapter.read_text(encoding="utf-8").splitlines())
    out = tmp_path / "out"
    result = run_generator("html", WEB_DOC, "--source", str(source), "--out", str(out))
    assert result.returncode == 1
    assert f"02-outlook.md:{line}:" in result.stderr and reason in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or list(out.iterdir()) == []
