"""Links and ids: every link resolves in every output, broken ones are refused where they are written.

The links fixture (tests/fixtures/links/) has a chapter in a subfolder, links between the
chapters with and without a fragment, an author's heading id, headings whose text reads
like a generated id, and pictures in a glossary definition and a key point.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from tests.conftest import build_fixture, run_generator
from tests.helpers import NS, epub_xml, epubcheck_problems

SLUG = "links"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The links fixture built in all three formats."""
    return build_fixture(tmp_path_factory, SLUG, "all")


def write_document(root: Path, chapters: dict[str, str], glossary: str = "", extra: str = "") -> Path:
    """A small document folder: document.yaml listing the chapters in order, the chapters, a glossary."""
    root.mkdir(parents=True)
    listed = "".join(f"  - {name}\n" for name in chapters)
    (root / "document.yaml").write_text(f"title: T\ndate: 2026-01-01\n{extra}chapters:\n{listed}", encoding="utf-8")
    for name, text in chapters.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    if glossary:
        (root / "glossary.yaml").write_text(glossary, encoding="utf-8")
    return root


def check(root: Path) -> tuple[int, list[str]]:
    """Run `check` on a document folder: the exit code and the lines on stderr."""
    result = run_generator("check", root.name, "--source", str(root.parent), cwd=root.parent)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr.splitlines()


def epub_links(epub: Path, member: str) -> list[str]:
    """The href of every link in one content document of the EPUB."""
    return [a.get("href") for a in epub_xml(epub, member).iter(f"{{{NS['x']}}}a")]


# Links in the three outputs


def test_cross_chapter_links_are_file_qualified_in_the_epub(built: Path) -> None:
    """In the EPUB a link to another chapter names that chapter's file; a link inside one stays a bare fragment."""
    epub = built / f"{SLUG}.epub"
    first = epub_links(epub, "EPUB/ch1.xhtml")
    assert {"ch2.xhtml#why-now", "ch2.xhtml", "ch2.xhtml#ch2-costs", "#ch1-the-first-section", "#notes-title-heading"} <= set(first)
    second = epub_links(epub, "EPUB/ch2.xhtml")
    assert {"ch1.xhtml", "ch1.xhtml#ch1-the-first-section", "#why-now"} <= set(second)
    assert "ch2.xhtml#why-now" in epub_links(epub, "EPUB/title.xhtml")  # a key point's link


def test_every_epub_link_lands_on_an_id_of_its_file(built: Path) -> None:
    """Every internal link of every content document names a file of the book and an id that file has."""
    epub = built / f"{SLUG}.epub"
    with zipfile.ZipFile(epub) as archive:
        documents = {n.removeprefix("EPUB/"): etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xhtml")}
    ids = {name: set(root.xpath("//@id")) for name, root in documents.items()}
    for name, root in documents.items():
        for href in root.xpath("//x:a/@href", namespaces=NS):
            if re.match(r"^[a-z]+:", href):
                continue
            file, _, anchor = href.partition("#")
            target = file or name
            assert target in documents, f"{name}: {href}"
            assert not anchor or anchor in ids[target], f"{name}: {href}"


def test_epub_of_the_links_fixture_passes_epubcheck(built: Path) -> None:
    """EPUBCheck finds nothing in the EPUB with cross-chapter links and a chapter in a subfolder."""
    assert epubcheck_problems(built / f"{SLUG}.epub") == []


def test_pictures_of_a_subfolder_chapter_a_definition_and_a_key_point_travel(built: Path) -> None:
    """One file, images/dot.png, is packed once in the EPUB and shown by all three places; the web page embeds it."""
    epub = built / f"{SLUG}.epub"
    with zipfile.ZipFile(epub) as archive:
        assert archive.namelist().count("EPUB/images/dot.png") == 1
    for member in ("EPUB/ch2.xhtml", "EPUB/glossary.xhtml", "EPUB/title.xhtml"):
        sources = [i.get("src") for i in epub_xml(epub, member).iter(f"{{{NS['x']}}}img")]
        assert sources == ["images/dot.png"], member
    page = lxml_html.fromstring((built / f"{SLUG}.html").read_bytes())
    sources = [i.get("src") for i in page.iter("img")]
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)


def test_web_page_links_all_land_on_ids(built: Path) -> None:
    """Every #fragment link of the web page lands on an id of the page."""
    page = lxml_html.fromstring((built / f"{SLUG}.html").read_bytes())
    ids = set(page.xpath("//@id"))
    fragments = [h for h in page.xpath("//a/@href") if h.startswith("#")]
    assert "#why-now" in fragments and "#ch2" in fragments
    assert [h for h in fragments if h[1:] not in ids] == []


def test_pdf_cross_chapter_link_lands_on_the_page_of_its_heading(built: Path) -> None:
    """The PDF link to 'parts/02-detail.md#why-now' goes to the page holding the heading 'Why it matters now'."""
    reader = PdfReader(str(built / f"{SLUG}.pdf"))
    destinations = reader.named_destinations
    assert "why-now" in destinations
    target_page = reader.get_destination_page_number(destinations["why-now"])
    assert "Why it matters now" in (reader.pages[target_page].extract_text() or "")
    linked_from = [
        n for n, page in enumerate(reader.pages)
        for annotation in page.get("/Annots", [])
        if str(annotation.get_object().get("/Dest", "")) == "why-now"
    ]
    start_page = next(n for n, page in enumerate(reader.pages) if "This chapter points ahead" in (page.extract_text() or ""))
    assert start_page in linked_from and target_page != start_page


# Ids


def test_headings_that_read_like_generated_ids_get_ids_of_their_own(built: Path) -> None:
    """'## fn1' and '## Title' never take a footnote's or the chapter title's id; every id of a chapter is unique."""
    root = epub_xml(built / f"{SLUG}.epub", "EPUB/ch1.xhtml")
    headings = {h.xpath("string()").strip(): h.get("id") for h in root.iter(f"{{{NS['x']}}}h2")}
    assert headings["fn1"] == "ch1-s-fn1" and headings["Title"] == "ch1-s-title"
    assert headings["Notes title heading"] == "notes-title-heading"
    every_id = root.xpath("//@id")
    assert len(every_id) == len(set(every_id))


def test_an_authors_heading_id_survives_a_change_of_its_text(tmp_path: Path) -> None:
    """Links to '{#why-now}' keep working when the heading's words change."""
    root = write_document(tmp_path / "doc", {
        "01.md": "# One\n\nSee [why](02.md#why-now).\n",
        "02.md": "# Two\n\n## Why this moment, and not later {#why-now}\n\nText.\n",
    })
    code, lines = check(root)
    assert code == 0, lines


# Refused links and ids, each where it is written


def test_broken_fragment_link_is_refused_with_its_place_and_a_suggestion(tmp_path: Path) -> None:
    """A link to a heading that does not exist names file, line and column, and the heading it probably meant."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n## Why now\n\nSee [the reason](#why-nwo) here.\n"})
    assert check(root) == (1, [
        "doc/01.md:5:18: link '#why-nwo' points at no heading or id of this chapter or the document; did you mean '#why-now'?",
        "build failed: 1 error; nothing was written",
    ])


def test_links_to_other_chapters_are_checked(tmp_path: Path) -> None:
    """A link to a missing chapter file or to a missing heading of another chapter is refused, with a suggestion."""
    root = write_document(tmp_path / "doc", {
        "01-start.md": "# One\n\nSee [two](02-detial.md) and [costs](02-detail.md#cost).\n",
        "02-detail.md": "# Two\n\n## Costs\n\nText.\n",
    })
    assert check(root) == (1, [
        "doc/01-start.md:3:11: link '02-detial.md' names no chapter of this document; did you mean '02-detail.md'?",
        "doc/01-start.md:3:37: link '02-detail.md#cost' points at no heading or id of chapter '02-detail.md'; "
        "did you mean '02-detail.md#costs'?",
        "build failed: 2 errors; nothing was written",
    ])


def test_links_without_a_usable_target_are_refused(tmp_path: Path) -> None:
    """An address without a host, a file that is not a chapter, and an empty link are refused."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n[a](https://../x) [b](http://) [c](data.csv) [d]()\n"})
    code, lines = check(root)
    assert code == 1
    assert lines == [
        "doc/01.md:3:5: link 'https://../x' is not a complete address; link to a web address (http, https, mailto, tel), "
        "a #section or another chapter (other.md#section)",
        "doc/01.md:3:23: link 'http://' is not a complete address; link to a web address (http, https, mailto, tel), "
        "a #section or another chapter (other.md#section)",
        "doc/01.md:3:36: link 'data.csv' is to a file, and no output carries files beside the chapters: "
        "publish it and link to its web address (https://…), or link to a #section or another chapter "
        "(other.md#section)",
        "doc/01.md:3:49: a link needs a target: [text](https://…), [text](#section) or [text](other.md)",
        "build failed: 4 errors; nothing was written",
    ]


def test_tel_and_mailto_links_are_accepted(tmp_path: Path) -> None:
    """tel: and mailto: links are ordinary and build."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\nCall [the desk](tel:+441234567890) or [mail](mailto:desk@example.org).\n"})
    assert check(root)[0] == 0


def test_empty_and_colliding_heading_ids_are_refused(tmp_path: Path) -> None:
    """An empty heading, a reserved id and an id given twice are each refused where they are written."""
    root = write_document(tmp_path / "doc", {
        "01.md": "# One\n\n##\n\n## Costs {#ch2-costs}\n\n## Why {#why}\n",
        "02.md": "# Two\n\n## Again {#why}\n",
    })
    assert check(root) == (1, [
        "doc/01.md:3:1: a heading needs text: write it after the '#' marks",
        "doc/01.md:5:10: heading id 'ch2-costs' is reserved for the ids the tool generates; choose another",
        "doc/02.md:3:10: heading id 'why' is also given in 01.md, line 7",
        "build failed: 3 errors; nothing was written",
    ])


def test_every_problem_of_a_document_is_reported_in_one_run(tmp_path: Path) -> None:
    """An unknown key, a glossary clash, a broken link and a missing picture are all reported together."""
    root = write_document(
        tmp_path / "doc",
        {"01.md": "# One\n\nAWS [here](#nowhere) and ![a chart](chart.png).\n"},
        glossary="- term: AWS\n  definition: A cloud.\n- term: Amazon Web Services\n  aliases: [AWS]\n  definition: The same.\n",
        extra="titel: typo\n",
    )
    code, lines = check(root)
    assert code == 1
    assert lines == [
        "doc/document.yaml:3:1: unknown key 'titel'; did you mean 'title'?",
        "doc/01.md:3:12: link '#nowhere' points at no heading or id of this chapter or the document",
        "doc/01.md:3:37: image 'chart.png' not found: missing file in the document folder",
        "doc/glossary.yaml:3:1: the entry 'Amazon Web Services' shares the term or alias 'AWS' with the entry 'AWS' (line 1)",
        "build failed: 4 errors; nothing was written",
    ]


def test_remote_picture_in_a_key_point_or_definition_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """Pictures in document.yaml's key points and in glossary definitions go through the same checks as the chapters'."""
    root = write_document(
        tmp_path / "doc", {"01.md": "# One\n\nA reservoir.\n"},
        glossary="- term: Reservoir\n  definition: \"A lake ![x](http://example.com/x.png).\"\n",
        extra="summary:\n  - \"Point ![y](https://example.com/y.png)\"\n",
    )
    assert check(root) == (1, [
        "doc/document.yaml:4:1: image 'https://example.com/y.png' is not fetched: only files inside the document folder are used",
        "doc/glossary.yaml:1:1: image 'http://example.com/x.png' is not fetched: only files inside the document folder are used",
        "build failed: 2 errors; nothing was written",
    ])


SELF_ADDRESSED = """# One

A survey is online.[^1] So is <https://example.org/autolink>, [https://example.org/same](https://example.org/same),
a bare https://example.org/bare/page address, and [a named link](https://example.org/named).

[^1]: From <https://example.org/in-a-note> and [the register](https://example.org/register).
"""


def test_a_link_showing_its_own_address_gets_no_address_note_in_the_pdf(tmp_path: Path) -> None:
    """Autolinks, bare addresses and [url](url) print their address once; a named link still gets its address."""
    root = write_document(tmp_path / "source" / "doc", {"01.md": SELF_ADDRESSED},
                          glossary="- term: Register\n  definition: See <https://example.org/glossary-def>.\n")
    result = run_generator("pdf", "doc", "--source", str(root.parent), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    reader = PdfReader(str(tmp_path / "out" / "doc.pdf"))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    for path in ("autolink", "same", "bare/page", "in-a-note", "glossary-def"):
        assert text.count(f"https://example.org/{path}") == 1, path
    assert text.count("https://example.org/named") == 1  # its note at the foot of the page
    assert text.count("https://example.org/register") == 1  # after the link, in the note
    uris = {a["/A"]["/URI"] for page in reader.pages for a in (page.get("/Annots") or [])
            if a.get_object().get("/A", {}).get("/URI")}
    assert "https://example.org/bare/page" in uris  # the bare address is a link


def test_only_addresses_with_a_scheme_become_links(tmp_path: Path) -> None:
    """Linkify: https:// and http:// addresses are linked; example.org, www.example.org and //host stay text."""
    from generator.markdown import render_inline

    markup = render_inline("see http://a.example, example.org, www.example.org, //c.example and `https://d.example`").xhtml()
    assert markup == ('see <a href="http://a.example" class="address">http://a.example</a>, example.org, '
                      'www.example.org, //c.example and <code>https://d.example</code>')
