"""The glossary engine: matching rules, where links go, author syntax, usage records, checks, order."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from generator.errors import SourceError
from generator.glossary import TermIndex, link_glossary, sort_entries
from generator.markdown import render_chapter, render_inline, slugify
from generator.model import Chapter, Document, GlossaryEntry, Metadata
from generator.source import load_document
from tests.conftest import FIXTURES, SEED, SOURCE, run_generator
from tests.helpers import NS, epub_xml

ROOT = Path("/tmp/glossary-test-doc")
XHTML = "http://www.w3.org/1999/xhtml"


def entry(term: str, aliases: list[str] | None = None, definition: str = "", line: int = 1) -> GlossaryEntry:
    """A glossary entry as source.py builds it."""
    return GlossaryEntry(
        id=f"g-{slugify(term)}",
        term=term,
        definition=render_inline(definition or f"What {term} means."),
        aliases=tuple(aliases or ()),
        line=line,
    )


def glossary(*terms: tuple[str, list[str]]) -> tuple[GlossaryEntry, ...]:
    """Entries for (term, aliases) pairs, on consecutive lines."""
    return tuple(entry(term, aliases, line=n * 3 + 1) for n, (term, aliases) in enumerate(terms))


def make_document(chapters: list[str], entries: tuple[GlossaryEntry, ...], mode: str = "first-per-chapter",
                  summary: tuple[str, ...] = ()) -> Document:
    """A document of Markdown chapters (each starting with its own '# ' title) and a glossary."""
    rendered = [render_chapter(text, f"ch{n}", ROOT / f"{n:02}.md") for n, text in enumerate(chapters, start=1)]
    return Document(
        slug="test",
        root=ROOT,
        meta=Metadata(title="Test", date=dt.date(2026, 1, 1), chapters=tuple(f"{n:02}.md" for n in range(1, len(chapters) + 1)),
                      glossary_links=mode, summary=tuple(render_inline(s) for s in summary)),
        chapters=tuple(
            Chapter(id=f"ch{n}", number=n, path=ROOT / f"{n:02}.md", name=f"{n:02}.md", title=r.title, title_markup=r.title_markup,
                    body=r.body, headings=tuple(r.headings), footnotes=tuple(r.footnotes))
            for n, r in enumerate(rendered, start=1)
        ),
        glossary=entries,
    )


def found(text: str, *terms: tuple[str, list[str]]) -> list[str]:
    """The spans of text the matcher finds for these terms."""
    return [text[m.start : m.end] for m in TermIndex(glossary(*terms)).find(text)]


def parse(html: str) -> etree._Element:
    """Parse an XHTML fragment (fails on malformed markup), with the epub namespace declared."""
    return etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="http://www.idpf.org/2007/ops">{html}</div>')


def glossrefs(html: str) -> list[tuple[str, str]]:
    """(text, href) of every glossary link in an XHTML fragment."""
    return [(a.xpath("string()"), a.get("href")) for a in parse(html).xpath("//x:a[@class='glossref']", namespaces=NS)]


def term_uses(html: str) -> list[tuple[str, str]]:
    """(element name, text) of every glossary link and unlinked use, in order."""
    root = parse(html)
    return [(etree.QName(e).localname, e.xpath("string()")) for e in root.xpath("//*[@class='glossref' or @class='term-use']")]


def linked(markdown: str, *terms: tuple[str, list[str]], mode: str = "first-per-chapter") -> str:
    """The body of one chapter after the glossary pass."""
    return link_glossary(make_document([f"# Title\n\n{markdown}"], glossary(*terms), mode)).chapters[0].body.xhtml()


# --- Matching rules -----------------------------------------------------------------------


def test_acronyms_match_only_in_capitals() -> None:
    """A term without lower-case letters is case-sensitive: AWS matches 'AWS', never 'aws' or 'Aws'."""
    assert found("AWS, aws, Aws and AWS.", ("AWS", [])) == ["AWS", "AWS"]


def test_other_terms_match_in_any_case() -> None:
    """Terms with lower-case letters match in any case, Trainium2 included."""
    assert found("multi-cloud, MULTI-CLOUD, Multi-Cloud", ("Multi-cloud", [])) == ["multi-cloud", "MULTI-CLOUD", "Multi-Cloud"]
    assert found("trainium2 and TRAINIUM2", ("Trainium2", [])) == ["trainium2", "TRAINIUM2"]


@pytest.mark.parametrize(
    ("term", "text"),
    [("chip", "chips"), ("tax", "taxes"), ("policy", "policies"), ("day", "days"), ("GPU", "GPUs"),
     ("Trainium2", "Trainium2s"), ("Minority investment", "minority investments")],
)
def test_regular_plurals_match(term: str, text: str) -> None:
    """The regular English plural of a term (-s, -es, -ies) matches as a whole."""
    assert found(f"Two {text} here.", (term, [])) == [text]


def test_wrong_plurals_do_not_match() -> None:
    """Only the regular plural: 'policys' and 'chipes' are not uses, nor an acronym with a capital S."""
    assert found("policys, chipes, GPUS", ("policy", []), ("chip", []), ("GPU", [])) == []


def test_matches_respect_word_boundaries() -> None:
    """AWS never matches inside LAWS, chip never inside chipset or microchip."""
    assert found("LAWS, AWSOME, chipset, microchip, chips2", ("AWS", []), ("chip", [])) == []


def test_hyphens_apostrophes_and_quotes_end_a_word() -> None:
    """'AWS-based', 'non-AWS', "AWS's" and quoted terms match, the link covering the term alone."""
    text = "AWS-based, non-AWS, AWS's, 'AWS', \u2018multi-cloud\u2019 and \"multi-cloud\""
    assert found(text, ("AWS", []), ("Multi-cloud", [])) == ["AWS", "AWS", "AWS", "AWS", "multi-cloud", "multi-cloud"]


def test_spaces_and_hyphens_inside_a_term_are_interchangeable() -> None:
    """A hyphen in a term matches a hyphen, a space or nothing; a space matches a line break or a hyphen."""
    text = "multi cloud, multicloud, multi\u2011cloud, multi-clouds; Project\nRainier, project-rainier"
    assert found(text, ("Multi-cloud", []), ("Project Rainier", [])) == [
        "multi cloud", "multicloud", "multi\u2011cloud", "multi-clouds", "Project\nRainier", "project-rainier"]


def test_straight_and_curly_apostrophes_match_each_other() -> None:
    """A term written with a straight apostrophe matches the curly one, and the reverse."""
    assert found("Moore\u2019s law and Moore's law", ("Moore's law", [])) == ["Moore\u2019s law", "Moore's law"]


def test_punctuation_inside_a_term_is_kept() -> None:
    """'U.S.' matches 'U.S.' but not 'US' or the start of 'U.S.A'; 'AT&T' matches in escaped text."""
    assert found("U.S. and US and U.S.A", ("U.S.", [])) == ["U.S."]
    assert glossrefs(linked("Calls on AT&T lines.", ("AT&T", []))) == [("AT&T", "#g-at-t")]


def test_the_longest_match_wins() -> None:
    """Where terms overlap, 'Amazon Web Services' (an alias of AWS) wins over 'Amazon'."""
    terms = (("Amazon", []), ("AWS", ["Amazon Web Services"]))
    assert glossrefs(linked("Amazon Web Services, owned by Amazon.", *terms)) == [
        ("Amazon Web Services", "#g-aws"), ("Amazon", "#g-amazon")]


# --- Where links go -----------------------------------------------------------------------


def test_first_use_per_chapter_is_linked_and_every_use_is_recorded() -> None:
    """By default the first use in each chapter is a link, later ones anchored spans, all recorded in order."""
    document = link_glossary(make_document(["# One\n\nAWS and AWS.", "# Two\n\nAWS again."], glossary(("AWS", []))))
    assert [term_uses(c.body.xhtml()) for c in document.chapters] == [[("a", "AWS"), ("span", "AWS")], [("a", "AWS")]]
    uses = document.glossary[0].uses
    assert [(u.chapter_id, u.anchor, u.linked) for u in uses] == [
        ("ch1", "ch1-g-aws-1", True), ("ch1", "ch1-g-aws-2", False), ("ch2", "ch2-g-aws-1", True)]
    for use in uses:
        assert len(parse(document.chapter(use.chapter_id).body.xhtml()).xpath(f"//*[@id='{use.anchor}']")) == 1


@pytest.mark.parametrize(("mode", "expected"), [("every", ["a", "a"]), ("none", ["span", "span"]), ("first-per-chapter", ["a", "span"])])
def test_glossary_links_mode_chooses_which_uses_are_links(mode: str, expected: list[str]) -> None:
    """document.yaml's glossary_links: every use, no use, or the first use per chapter is a link."""
    assert [name for name, _ in term_uses(linked("AWS and AWS.", ("AWS", []), mode=mode))] == expected


def test_link_markup_follows_the_contract() -> None:
    """A linked use is a doc-glossref link with an id (the EPUB adds epub:type); an unlinked use a span with an id."""
    html = linked("AWS and AWS.", ("AWS", []))
    assert ('<a class="glossref" role="doc-glossref" id="ch1-g-aws-1" href="#g-aws">AWS</a> and '
            '<span class="term-use" id="ch1-g-aws-2">AWS</span>') in html


def test_no_uses_in_headings_links_code_alt_text_or_display_callouts() -> None:
    """Headings, links, code, image descriptions, pull quotes, key figures and table headers hold no uses."""
    markdown = "\n\n".join([
        "## AWS heading", "[AWS site](https://aws.amazon.com)", "`AWS code`", "```\nAWS block\n```",
        "![AWS logo](logo.png)", "::: quote\nAWS quoted\n:::", "::: keyfigure\n**AWS**\nfigure\n:::",
        "| AWS |\n|---|\n| cell |", "AWS body.",
    ])
    document = link_glossary(make_document([f"# AWS title\n\n{markdown}"], glossary(("AWS", []))))
    assert term_uses(document.chapters[0].body.xhtml()) == [("a", "AWS")]
    assert 'href="#g-aws">AWS</a> body.' in document.chapters[0].body.xhtml() and len(document.glossary[0].uses) == 1
    assert "glossref" not in document.chapters[0].title_markup.xhtml()


def test_footnotes_are_linked_after_the_body_of_their_chapter() -> None:
    """A term in a footnote is recorded after the chapter's body uses, with its own anchor."""
    document = link_glossary(make_document(["# One\n\nAWS grows.[^1]\n\n[^1]: Said AWS."], glossary(("AWS", []))))
    assert term_uses(document.chapters[0].footnotes[0].body.xhtml()) == [("span", "AWS")]
    assert [u.anchor for u in document.glossary[0].uses] == ["ch1-g-aws-1", "ch1-g-aws-2"]


def test_anchors_never_collide_with_heading_ids() -> None:
    """A heading whose slug looks like a use anchor keeps a distinct id."""
    document = link_glossary(make_document(["# One\n\n## G AWS 1\n\nAWS."], glossary(("AWS", []))))
    ids = parse(document.chapters[0].body.xhtml()).xpath("//@id")
    assert len(ids) == len(set(ids)) == 2


def test_definitions_cross_reference_other_terms_but_not_themselves() -> None:
    """A definition links the first mention of each other term to its entry, never to itself."""
    entries = (entry("AWS", definition="AWS sells chips like Trainium2 and more Trainium2."), entry("Trainium2", line=4))
    document = link_glossary(make_document(["# One\n\nAWS and Trainium2."], entries))
    aws = next(e for e in document.glossary if e.term == "AWS")
    assert glossrefs(aws.definition.xhtml()) == [("Trainium2", "#g-trainium2")]
    assert 'id="' not in aws.definition.xhtml()


# --- Author syntax ------------------------------------------------------------------------


def test_forced_link_links_other_wording_and_counts_as_the_first_use() -> None:
    """[text](term:AWS) links the text to AWS, so the next 'AWS' in the chapter is not linked again."""
    document = link_glossary(make_document(["# One\n\n[Amazon's cloud arm](term:AWS) and AWS."], glossary(("AWS", []))))
    assert term_uses(document.chapters[0].body.xhtml()) == [("a", "Amazon's cloud arm"), ("span", "AWS")]
    assert document.glossary[0].uses[0].linked


@pytest.mark.parametrize("target", ["term:aws", "term:Amazon%20Web%20Services", "<term:Amazon Web Services>", "term:amazon-web-services"])
def test_forced_link_names_a_term_by_alias_slug_or_any_case(target: str) -> None:
    """The target of a forced link may be the term or an alias, in any case, or its slug."""
    assert glossrefs(linked(f"[the cloud]({target}).", ("AWS", ["Amazon Web Services"]), mode="none")) == [("the cloud", "#g-aws")]


def test_suppressed_text_is_left_alone() -> None:
    """[text](term:-) shows the text unchanged, with no link, no use and no leftover mark."""
    document = link_glossary(make_document(["# One\n\nThe painter [Claude Monet](term:-) and Claude."], glossary(("Claude", []))))
    html = document.chapters[0].body.xhtml()
    assert "The painter Claude Monet and " in html and "term-mark" not in html
    assert term_uses(html) == [("a", "Claude")]


def test_forced_links_are_dropped_where_links_never_go() -> None:
    """In a chapter title, a heading or a summary point a forced link leaves only its text."""
    document = link_glossary(make_document(["# The [cloud](term:AWS)\n\n## On [it](term:AWS)\n\nText."], glossary(("AWS", [])),
                                           summary=("Spend on [the cloud](term:AWS).",)))
    chapter = document.chapters[0]
    assert chapter.title_markup.xhtml() == "The cloud" and "<h2 id=\"ch1-on-it\">On it</h2>" in chapter.body.xhtml()
    assert [p.xhtml() for p in document.meta.summary] == ["Spend on the cloud."]
    assert document.glossary[0].uses == ()


def test_forced_link_to_an_undefined_term_fails_with_file_line_and_column() -> None:
    """A forced link naming no term is an error at the link's file, line and column."""
    with pytest.raises(SourceError) as error:
        link_glossary(make_document(["# One\n\nFine text,\nand [chips](term:Trainium3)."], glossary(("AWS", []))))
    assert [(p.path, p.line, p.column) for p in error.value.problems] == [(ROOT / "01.md", 4, 13)]
    assert "term:Trainium3" in error.value.problems[0].message


# --- Checks -------------------------------------------------------------------------------


def test_two_entries_sharing_a_form_fail_naming_both() -> None:
    """A term that is another entry's alias (in any case) is an error naming both entries and lines."""
    entries = (entry("AWS", ["Amazon Web Services"], line=1), entry("Amazon web services", line=4))
    with pytest.raises(SourceError) as error:
        link_glossary(make_document(["# One\n\nText."], entries))
    assert [str(p) for p in error.value.problems] == [
        f"{ROOT / 'glossary.yaml'}:4:1: the entry 'Amazon web services' shares the term or alias "
        "'Amazon web services' with the entry 'AWS' (line 1)"]


def test_entries_that_would_share_an_anchor_fail() -> None:
    """'AI chip' and 'AI-chip' match the same words: an error naming both."""
    with pytest.raises(SourceError, match="the entry 'AI-chip' has 'AI-chip', which matches the same words as the entry 'AI chip'"):
        link_glossary(make_document(["# One\n\nText."], (entry("AI chip"), entry("AI-chip", line=4))))


def test_empty_definition_fails() -> None:
    """A definition with no visible text is an error at its entry."""
    with pytest.raises(SourceError, match="the definition of 'AWS' is empty"):
        link_glossary(make_document(["# One\n\nAWS."], (entry("AWS", definition="[]()"),)))


def test_unused_term_is_one_warning() -> None:
    """A term defined but never used gives exactly one warning naming it; used terms give none."""
    document = link_glossary(make_document(["# One\n\nAWS.", "# Two\n\nAWS."], glossary(("AWS", []), ("Trainium2", []))))
    assert document.warnings == (f"{ROOT / 'glossary.yaml'}:4:1: warning: glossary term 'Trainium2' is defined but never used in the text",)


def test_cli_reports_every_glossary_error_at_once() -> None:
    """`check` on a broken glossary prints each problem as path:line:column and exits 1."""
    result = run_generator("check", "glossary-errors", "--source", str(FIXTURES))
    folder = "tests/fixtures/glossary-errors"
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{folder}/glossary.yaml:4:1: the entry 'Amazon web services' shares the term or alias 'Amazon web services' "
        "with the entry 'AWS' (line 1)",
        f"{folder}/glossary.yaml:6:1: the definition of 'Trainium2' is empty",
        f"{folder}/glossary.yaml:6:1: a link needs a target: [text](https://…), [text](#section) or [text](other.md)",
        f"{folder}/01-text.md:4:17: the glossary link 'term:Trainium3' names no term or alias of glossary.yaml; "
        "did you mean 'term:trainium2' (Trainium2)?",
        "build failed: 4 errors; nothing was written",
    ]


def test_cli_prints_an_unused_term_warning_once() -> None:
    """`check` succeeds with one warning for the term no chapter uses."""
    result = run_generator("check", "glossary-unused", "--source", str(FIXTURES))
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "tests/fixtures/glossary-unused/glossary.yaml:3:1: warning: glossary term 'Trainium2' is defined but never used in the text"]


# --- Order --------------------------------------------------------------------------------


def test_appendix_order_ignores_case_leading_punctuation_and_accents() -> None:
    """Entries sort case-insensitively, leading punctuation ignored, accented letters with their base letter."""
    terms = ["zeta", "Éclair", "'Quoted'", "apple", "Ecu", ".NET", "Banana", "edge"]
    assert [e.term for e in sort_entries(tuple(entry(t) for t in terms))] == [
        "apple", "Banana", "Éclair", "Ecu", "edge", ".NET", "'Quoted'", "zeta"]


# --- Properties ---------------------------------------------------------------------------

WORDS = st.sampled_from([
    "AWS", "aws", "LAWS", "AWS's", "AWS-based", "Amazon", "Amazon Web Services", "multi-cloud", "multi cloud",
    "'multi-cloud'", "chips", "chipset", "Trainium2", "U.S.", "AT&T", "policies", "the", "and", "<b>", "&amp;",
    "\"quoted\"", "*AWS*", "**Amazon Web** Services", "`AWS code`", "[AWS link](https://x.org)", "[forced](term:AWS)", "[the AWS cloud](term:Amazon)",
    "[Claude Monet](term:-)", "![AWS alt](a.png)", "[^1]", "Claude",
])
BLOCK = st.one_of(
    st.lists(WORDS, min_size=1, max_size=12).map(" ".join),
    st.lists(WORDS, min_size=1, max_size=6).map(lambda ws: "## " + " ".join(ws)),
    st.lists(WORDS, min_size=1, max_size=6).map(lambda ws: "```\n" + " ".join(ws) + "\n```"),
    st.lists(WORDS, min_size=1, max_size=6).map(lambda ws: "- " + " ".join(ws)),
    st.lists(WORDS, min_size=1, max_size=6).map(lambda ws: "::: note\n" + " ".join(ws) + "\n:::"),
)
CHAPTER = st.lists(BLOCK, min_size=1, max_size=6).map(lambda blocks: "# Title\n\n" + "\n\n".join(blocks) + "\n\n[^1]: AWS note.\n")
PROPERTY_GLOSSARY = glossary(("AWS", ["Amazon Web Services"]), ("Amazon", []), ("Multi-cloud", []), ("chip", []),
                             ("Trainium2", []), ("U.S.", []), ("AT&T", []), ("policy", []), ("Claude", []))
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _visible_text(html: str) -> str:
    """What a reader sees of an XHTML fragment."""
    return "".join(parse(html).itertext())


@PROPERTIES
@given(CHAPTER, st.sampled_from(["first-per-chapter", "every", "none"]))
def test_linking_never_changes_the_visible_text(markdown: str, mode: str) -> None:
    """The text a reader sees is the same before and after the pass, in the body and the footnotes."""
    before = make_document([markdown], PROPERTY_GLOSSARY, mode)
    after = link_glossary(before)
    assert _visible_text(after.chapters[0].body.xhtml()) == _visible_text(before.chapters[0].body.xhtml())
    for note_before, note_after in zip(before.chapters[0].footnotes, after.chapters[0].footnotes, strict=True):
        assert _visible_text(note_after.body.xhtml()) == _visible_text(note_before.body.xhtml())


@PROPERTIES
@given(CHAPTER, st.sampled_from(["first-per-chapter", "every", "none"]))
def test_linking_yields_well_formed_xhtml_without_nested_links(markdown: str, mode: str) -> None:
    """The output parses as XML, no link holds a link, and no mark of the Markdown stage is left."""
    html = link_glossary(make_document([markdown], PROPERTY_GLOSSARY, mode)).chapters[0].body.xhtml()
    root = parse(html)
    assert root.xpath("//x:a//x:a", namespaces=NS) == []
    assert root.xpath("//*[@data-term]") == []


@PROPERTIES
@given(CHAPTER, st.sampled_from(["first-per-chapter", "every"]))
def test_linking_never_touches_code_headings_or_links(markdown: str, mode: str) -> None:
    """No use is marked inside code, a preformatted block, a heading or another link."""
    root = parse(link_glossary(make_document([markdown], PROPERTY_GLOSSARY, mode)).chapters[0].body.xhtml())
    inside = "//*[self::x:code or self::x:pre or self::x:h1 or self::x:h2 or self::x:a]//*[@class='glossref' or @class='term-use']"
    assert root.xpath(inside, namespaces=NS) == []


@PROPERTIES
@given(CHAPTER)
def test_every_use_recorded_has_one_anchor_in_its_chapter(markdown: str) -> None:
    """The uses recorded are exactly the anchored uses in the chapter, each id unique, in document order."""
    document = link_glossary(make_document([markdown], PROPERTY_GLOSSARY))
    chapter = document.chapters[0]
    marked = [e.get("id") for html in (chapter.body.xhtml(), *(n.body.xhtml() for n in chapter.footnotes))
              for e in parse(html).xpath("//*[@class='glossref' or @class='term-use']")]
    recorded = sorted((u.anchor for e in document.glossary for u in e.uses), key=marked.index)
    assert recorded == marked and len(set(marked)) == len(marked)


# --- The seed briefing --------------------------------------------------------------------


def test_seed_links_aws_trainium2_and_multi_cloud_at_their_first_use_in_each_chapter() -> None:
    """In every chapter of the seed briefing the first use of AWS, Trainium2 and multi-cloud is its only link."""
    document = link_glossary(load_document(SOURCE / SEED))
    for term_id in ("g-aws", "g-trainium2", "g-multi-cloud"):
        entry_uses = next(e for e in document.glossary if e.id == term_id).uses
        chapters = dict.fromkeys(u.chapter_id for u in entry_uses)
        assert chapters, term_id
        for chapter_id in chapters:
            in_chapter = [u for u in entry_uses if u.chapter_id == chapter_id]
            assert [u.linked for u in in_chapter] == [True] + [False] * (len(in_chapter) - 1)
            first = parse(document.chapter(chapter_id).body.xhtml()).xpath(f"//*[@id='{in_chapter[0].anchor}']")[0]
            assert first.get("href") == f"#{term_id}"
    assert {u.chapter_id for e in document.glossary if e.id == "g-aws" for u in e.uses} == {"ch2", "ch3", "ch5"}


def test_seed_epub_links_terms_and_back_references_resolve(seed_epub: Path) -> None:
    """Every glossary link in the EPUB's chapters and every back-reference in its glossary points at an existing id."""
    document = load_document(SOURCE / SEED)
    ids = {f"{c.file_name}#{i}" for c in document.chapters for i in epub_xml(seed_epub, f"EPUB/{c.file_name}").xpath("//@id")}
    glossary_file = epub_xml(seed_epub, "EPUB/glossary.xhtml")
    ids |= {f"glossary.xhtml#{i}" for i in glossary_file.xpath("//@id")}
    links = [href for c in document.chapters
             for href in epub_xml(seed_epub, f"EPUB/{c.file_name}").xpath("//x:a[@class='glossref']/@href", namespaces=NS)]
    back = [href for href in glossary_file.xpath("//x:dd//x:a/@href", namespaces=NS) if "#" in href and href.startswith("ch")]
    assert len(links) >= 9 and back
    assert [h for h in links + back if h not in ids] == []


# --- Matching by language -----------------------------------------------------------------


def found_in(language: str, text: str, *terms: tuple[str, list[str]]) -> list[str]:
    """The spans of text the matcher finds for these terms in a text of the given language."""
    return [text[m.start : m.end] for m in TermIndex(glossary(*terms), language).find(text)]


def test_english_inflections_match_and_derivations_do_not() -> None:
    """English: regular plurals match (4 of 8 words); derived words sharing a Snowball stem never do."""
    text = "chips, policies, universe, GPUs; chipset, universities, computing, policymaker"
    terms = (("chip", []), ("policy", []), ("universe", []), ("GPU", []), ("compute", []))
    assert found_in("en", text, *terms) == ["chips", "policies", "universe", "GPUs"]


def test_french_inflected_forms_match_their_term() -> None:
    """French: plural of any word of a term, either apostrophe and any case match; a derivation does not."""
    text = ("Les agences de l'eau, l’Agence de l’eau, une pompe à chaleur, des pompes à chaleur ; "
            "mais l'agencement de l'eau, une agence d'eau, les pompiers à chaleur.")
    terms = (("Agence de l'eau", []), ("pompe à chaleur", []))
    assert found_in("fr", text, *terms) == ["agences de l'eau", "Agence de l’eau", "pompe à chaleur", "pompes à chaleur"]


def test_german_case_and_plural_endings_match() -> None:
    """German: plural and case endings (umlaut plurals too) match; compounds and other words do not."""
    text = "Die Wärmepumpen, der Wärmepumpe, des Hauses, die Häuser; nicht Wärmepumpenhersteller, Wärme, Hausarbeit."
    assert found_in("de-DE", text, ("Wärmepumpe", []), ("Haus", [])) == ["Wärmepumpen", "Wärmepumpe", "Hauses", "Häuser"]


def test_japanese_matches_character_sequences_longest_first() -> None:
    """Japanese has no word spaces: terms are found as character sequences, the longest first; Latin terms stay whole words."""
    text = "ヒートポンプ式給湯機はヒートポンプを使う。AWSのサーバー、LAWSではない。"
    terms = (("ヒートポンプ", []), ("ヒートポンプ式給湯機", []), ("AWS", []))
    assert found_in("ja", text, *terms) == ["ヒートポンプ式給湯機", "ヒートポンプ", "AWS"]


def test_japanese_term_used_in_running_text_is_linked_and_not_unused() -> None:
    """A Japanese document: a term occurring three times is linked once per chapter, recorded three times, no warning."""
    document = make_document(["# 概要\n\n熱はヒートポンプで作る。ヒートポンプは効率が良い。\n\n新しいヒートポンプ。\n"],
                             glossary(("ヒートポンプ", [])), mode="first-per-chapter")
    document = replace(document, meta=replace(document.meta, language="ja"))
    linked = link_glossary(document)
    assert len(linked.glossary[0].uses) == 3
    assert not linked.warnings
    assert [a.text for a in linked.chapters[0].body.iter("a")] == ["ヒートポンプ"]


LONG_ALIASES = """- term: EPC
  aliases: [Energy Performance Certificate, the certificate of energy performance]
  definition: A rating.
- term: Heat pump
  definition: A machine that moves heat.
- term: Landlord
  aliases: [the owner of a rented dwelling who lets it]
  definition: Lets.
- term: Tenant
  definition: Rents a home.
"""
ENTRY_GAP_PT = 3 * 72 / 25.4  # at least 3 mm between one entry's last line and the next entry


def pdf_words(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """The words of one page with the top and bottom of each, read by poppler's pdftotext -bbox."""
    xhtml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    return [(m.group(3), float(m.group(1)), float(m.group(2)))
            for m in re.finditer(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', xhtml)]


def test_a_term_with_long_aliases_keeps_the_next_entry_below_it(tmp_path: Path) -> None:
    """In the PDF glossary each row is as tall as its taller column: the next term starts below the last line of a long alias, with the entries' spacing."""
    root = tmp_path / "source" / "doc"
    root.mkdir(parents=True)
    (root / "document.yaml").write_text("title: T\ndate: 2026-01-15\nlayout: report\nchapters:\n  - 01.md\n", encoding="utf-8")
    (root / "01.md").write_text("# One\n\nAn EPC, a heat pump, a landlord and a tenant.\n", encoding="utf-8")
    (root / "glossary.yaml").write_text(LONG_ALIASES, encoding="utf-8")
    result = run_generator("pdf", "doc", "--source", str(root.parent), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "out" / "doc.pdf"
    words = pdf_words(pdf, len(PdfReader(str(pdf)).pages))
    where = {text: (top, bottom) for text, top, bottom in words}
    for last_line, next_term in (("performance)", "Heat"), ("it)", "Tenant")):
        assert where[next_term][0] - where[last_line][1] >= ENTRY_GAP_PT, (last_line, next_term, where)
    assert abs(where["EPC"][0] - where["rating."][0]) < 2  # term and definition start on one line
