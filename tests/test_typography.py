"""The typography pass: quotation marks, apostrophes, dashes and no-break spaces per language, never a word changed."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from generator.build import run_passes
from generator.glossary import TermIndex
from generator.tree import Fragment
from generator.typography import NBSP, NNBSP, set_fragment, set_text
from tests.conftest import build_fixture
from tests.helpers import NS, epub_xml, squash
from tests.test_glossary import glossary, make_document


def test_english_quotes_apostrophes_and_dashes() -> None:
    """English: “ ” and ‘ ’, ’ in words and after a plural, -- an en dash, --- an em dash."""
    text = "\"Don't,\" she said -- 'quietly' --- to the students' desk."
    assert set_text(text, "en") == "“Don’t,” she said – ‘quietly’ — to the students’ desk."


def test_german_quotes_low_then_high() -> None:
    """German: „ “ outside, ‚ ‘ inside, and the apostrophe is still ’."""
    assert set_text("Er sagte: \"Die Pumpe ist 'gut'.\" Hans' Auto.", "de") == "Er sagte: „Die Pumpe ist ‚gut‘.“ Hans’ Auto."


def test_french_spaces_and_guillemets() -> None:
    """French: « » with narrow no-break spaces, a narrow no-break space before ; ! ?, a no-break space before a colon."""
    text = "Il dit : \"l'eau baisse\" ! Vraiment? Oui; « non » et voilà:  fin. Voir http://x.org/a:b"
    assert set_text(text, "fr") == (f"Il dit{NBSP}: «{NNBSP}l’eau baisse{NNBSP}»{NNBSP}! Vraiment{NNBSP}? Oui{NNBSP}; "
                                    f"«{NNBSP}non{NNBSP}» et voilà{NBSP}:  fin. Voir http://x.org/a:b")


def test_french_quotes_written_with_spaces_inside() -> None:
    """A French author's `" mot "` becomes « mot », its ordinary spaces made narrow no-break ones."""
    assert set_text("\" mot \".", "fr") == f"«{NNBSP}mot{NNBSP}»."


def test_japanese_corner_brackets() -> None:
    """Japanese: 「 」 outside, 『 』 inside, quotes alternating as there are no spaces to tell them apart."""
    assert set_text("彼は\"ヒートポンプ\"と'言った'。AWS's", "ja") == "彼は「ヒートポンプ」と『言った』。AWS’s"


def test_number_and_unit_kept_together() -> None:
    """A space between a number and a unit becomes a no-break space; other spaces after numbers stay."""
    assert set_text("3 m, 100 km, 5 % and 2 GW in 2026 people", "en") == f"3{NBSP}m, 100{NBSP}km, 5{NBSP}% and 2{NBSP}GW in 2026 people"


def test_a_language_without_known_marks_keeps_straight_quotes() -> None:
    """An unlisted language keeps its straight double quotes (a wrong mark is worse), its apostrophes still curl."""
    assert set_text("\"word\" l'x", "fi") == "\"word\" l’x"


def test_code_kbd_pre_and_attributes_are_never_changed() -> None:
    """Text inside code, kbd and pre, and every attribute, are left exactly as written."""
    html = ('<p title="a \'b\' -- c">"x" <code>"--"</code> <kbd>\'</kbd> <a href="/a--b">\'y\'</a></p>'
            '<pre><code>"--" \'z\'</code></pre>')
    root = set_fragment(Fragment.parse(html), "en").root
    assert root.find("p").get("title") == "a 'b' -- c"
    assert root.find("p/a").get("href") == "/a--b"
    assert [e.text for e in root.iter("code", "kbd")] == ['"--"', "'", '"--" \'z\'']
    assert root.find("p").text == "“x” " and root.find("p/a").text == "‘y’"


def test_comments_are_left_alone() -> None:
    """The text of a comment is never set (the parser drops comments from chapters; a tree built by hand may hold one)."""
    root = set_fragment(Fragment(etree.fromstring('<div><p><!-- "a" --> "b"</p></div>')), "en").root
    comment = root.find("p")[0]
    assert comment.text == ' "a" '


def test_quotes_across_inline_elements() -> None:
    """A quote closing after an emphasis closes (the character before it is the emphasis's last)."""
    root = set_fragment(Fragment.parse('<p>"<em>word</em>" and <em>it</em>\'s</p>'), "en").root
    assert "".join(root.itertext()) == "“word” and it’s"


def test_each_paragraph_starts_afresh() -> None:
    """A quote at the start of a paragraph opens, whatever ended the paragraph before."""
    root = set_fragment(Fragment.parse('<p>End.</p><p>"Start"</p>'), "en").root
    assert root.findall("p")[1].text == "“Start”"


def test_words_never_change() -> None:
    """Only punctuation and spaces change: the words are the same, and English squashes as the every-sentence test does."""
    text = "\"Don't\" -- l'eau: 3 km; « oui » ! 'a' --- b?"
    for language in ("en", "fr", "de", "ja"):
        assert re.findall(r"\w+", set_text(text, language)) == re.findall(r"\w+", text)
    assert squash(set_text(text, "en")) == squash(text)


def test_glossary_matches_text_after_typography() -> None:
    """The glossary finds terms in curly-apostrophe text: typography runs first, matching treats ' and ’ alike."""
    document = make_document(["# T\n\nThe agency's \"policy\" and Anthropic's chips.\n"], glossary(("agency's policy", []), ("chip", [])))
    document, problems = run_passes(document)
    assert not [p for p in problems if not p.warning]
    links = [a.text for a in document.chapters[0].body.iter("a")]
    assert links == ["chips"]
    assert [document.chapters[0].body.text()[m.start : m.end] for m in TermIndex(glossary(("Anthropic's", []))).find(document.chapters[0].body.text())] == ["Anthropic’s"]


@pytest.fixture(scope="module")
def french_epub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small French fixture built as an EPUB by the real command."""
    return build_fixture(tmp_path_factory, "typography-fr", "epub") / "typography-fr.epub"


def test_french_epub_xhtml(french_epub: Path) -> None:
    """The EPUB's chapter: French spaces and guillemets, curly apostrophe, dashes, the plural term linked, code untouched."""
    chapter = epub_xml(french_epub, "EPUB/ch1.xhtml")
    first, second = ("".join(p.itertext()) for p in chapter.xpath("//x:p", namespaces=NS))
    assert first == (f"Les agences de l’eau disent{NBSP}: «{NNBSP}la nappe baisse{NNBSP}»{NNBSP}! Vraiment{NNBSP}? "
                     f"Oui{NNBSP}; depuis 2020 – soit 6 ans — elle a perdu 3{NBSP}m.")
    assert chapter.xpath("//x:a[@class='glossref']/text()", namespaces=NS) == ["agences de l’eau"]
    assert [c.xpath("string()") for c in chapter.xpath("//x:code", namespaces=NS)] == ["--verbose"]
    assert chapter.xpath("//x:kbd/text()", namespaces=NS) == ['"']
    title = epub_xml(french_epub, "EPUB/title.xhtml")
    assert "L'eau du bassin" in "".join(title.itertext()) or "L’eau du bassin" in "".join(title.itertext())


def test_q_elements_take_the_language_marks(french_epub: Path) -> None:
    """The EPUB stylesheet gives <q> the French catalogue's guillemets with narrow no-break spaces, as the pull quotes and the text have."""
    with zipfile.ZipFile(french_epub) as archive:
        css = archive.read("EPUB/styles/epub.css").decode("utf-8")
    assert f'q {{ quotes: "«{NNBSP}" "{NNBSP}»"; }}' in css
