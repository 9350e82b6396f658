"""Labels: the catalogues, a French document in every output, overrides, refused labels, languages without labels.

The French fixture (tests/fixtures/i18n-fr/) has a glossary term used three times in
chapter 1 and once in chapter 2, a footnote, a note and a quote callout, and is dated on the
first of a month, which French writes as an ordinal ("1er novembre 2026").
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from babel import Locale
from lxml import etree, html
from pypdf import PdfReader

from generator import cldr, labels
from generator.errors import SourceError
from generator.labels import Labels, catalogue_names, labels_for, load_catalogue, placeholders, reference
from generator.source import load_document
from tests.conftest import FIXTURES, build_fixture, run_generator
from tests.helpers import NS, epub_xml, pdf_text

FRENCH = "i18n-fr"
REQUIRED = {"en", "fr", "de", "es", "it", "nl", "pt", "pl", "sv", "da", "ja", "zh", "ko", "ar", "he"}
ENGLISH_WORDS = ["Contents", "Glossary", "Key points", "Title page", "Used in", "Back to note", "Chapter 1",
                 "Page numbers show", "Skip to the text", "Start of content", " of 5", "Publisher", "November"]


def forms(text: str | dict[str, str]) -> dict[str, str]:
    """A label's texts by plural form (a plain label has only 'other')."""
    return {"other": text} if isinstance(text, str) else dict(text)


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The French fixture built as PDF, EPUB and web page by the real command."""
    return build_fixture(tmp_path_factory, FRENCH, "all", no_warnings=True)


def text_of(element: etree._Element) -> str:
    """An element's text with its runs of spaces and line breaks collapsed (no-break spaces kept)."""
    return re.sub(r"[ \t\n]+", " ", "".join(element.itertext())).strip()


# The catalogues


def test_every_required_language_has_a_catalogue() -> None:
    """The fifteen languages of the issue each have a catalogue shipped with the package."""
    assert REQUIRED <= set(catalogue_names())


@pytest.mark.parametrize("name", catalogue_names())
def test_catalogue_has_exactly_the_english_labels_with_the_same_placeholders(name: str) -> None:
    """Every English label is there and no other; each text uses exactly the English placeholders."""
    catalogue, english = load_catalogue(name), reference()
    assert list(catalogue.labels) == list(english.labels)
    for key, text in catalogue.labels.items():
        assert isinstance(text, str) == isinstance(english.labels[key], str), key
        expected = placeholders(forms(english.labels[key])["other"])
        for form, form_text in forms(text).items():
            assert form_text.strip(" \t\n") == form_text and form_text, (key, form)
            assert placeholders(form_text) == expected, (key, form)
            assert labels.text_problem(key, form_text) == "", (key, form)


@pytest.mark.parametrize("name", catalogue_names())
def test_catalogue_plural_forms_are_the_languages_own(name: str) -> None:
    """Plural labels give 'other' and only forms CLDR's rules for the language can choose."""
    catalogue = load_catalogue(name)
    locale = Locale.parse(catalogue.locale)
    for key, text in catalogue.labels.items():
        if isinstance(text, str):
            continue
        rule = locale.ordinal_form if key == labels.ORDINAL else locale.plural_form
        assert "other" in text and set(text) <= set(rule.tags) | {"other"}, (key, set(text) - set(rule.tags))


@pytest.mark.parametrize("name", catalogue_names())
def test_catalogue_locale_and_ordinal_days_are_valid(name: str) -> None:
    """The catalogue's CLDR locale is the language's own, and its ordinal days are days of a month."""
    catalogue = load_catalogue(name)
    assert Locale.parse(catalogue.locale).language == name.split("-")[0]
    assert all(1 <= day <= 31 for day in catalogue.ordinal_days)


def test_no_label_is_hidden_by_an_attribute_of_labels() -> None:
    """A template's ``labels.<key>`` finds the label: no key is also the name of a field or method."""
    assert not set(reference().labels) & set(dir(Labels))


# Dates, numbers and stylesheet strings


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1 November 2026"),
    ("en-GB", "1 November 2026"),
    ("en-US", "November 1, 2026"),
    ("fr", "1er novembre 2026"),
    ("fr-CA", "1er novembre 2026"),
    ("it", "1º novembre 2026"),
    ("de", "1. November 2026"),
    ("es", "1 de noviembre de 2026"),
    ("pl", "1 listopada 2026"),
    ("ja", "2026年11月1日"),
    ("ko", "2026년 11월 1일"),
    ("tlh", "1 November 2026"),
])
def test_dates_are_written_for_the_language(language: str, expected: str) -> None:
    """Babel's long date of the locale, with the first of the month as an ordinal where the language does that."""
    assert labels_for(language).format_date(dt.date(2026, 11, 1)) == expected


def test_other_days_are_not_ordinals() -> None:
    """Only the days the catalogue names become ordinals: 20 novembre, not 20e."""
    assert labels_for("fr").format_date(dt.date(2026, 11, 20)) == "20 novembre 2026"


@pytest.mark.parametrize(("count", "expected"), [(1, "1 wystąpienie:"), (3, "3 wystąpienia:"), (5, "5 wystąpień:"),
                                                 (22, "22 wystąpienia:"), (25, "25 wystąpień:")])
def test_plural_label_follows_cldr_rules(count: int, expected: str) -> None:
    """Polish has three forms for a count; CLDR's plural rules choose among them."""
    assert labels_for("pl").format("use_count", count=count) == expected


def test_numbers_in_labels_are_written_for_the_locale() -> None:
    """A number filled into a label gets the locale's grouping."""
    assert labels_for("fr").format("chapter_number", chapter=1200) == "Chapitre 1\u202f200"
    assert labels_for("en").format("chapter_number", chapter=1200) == "Chapter 1,200"


def test_region_and_script_find_their_catalogue() -> None:
    """fr-CA uses the French labels with Canadian dates; zh-TW the Traditional Chinese ones; zh-CN the Simplified."""
    canadian = labels_for("fr-CA")
    assert (canadian.language, canadian.locale) == ("fr", "fr_CA")
    assert labels_for("zh-TW").language == "zh-Hant"
    assert labels_for("zh-CN").language == "zh"


def test_page_footer_label_becomes_css_counters() -> None:
    """Each placeholder of a stylesheet label is the CSS counter of that name; the words are CSS strings."""
    assert labels_for("en").css_counters("page_of_pages") == '"Page " counter(page) " of " counter(pages)'
    assert labels_for("ja").css_counters("page_of_pages") == 'counter(page) " / " counter(pages) " ページ"'


def test_css_strings_escape_what_would_end_them() -> None:
    """Quotes, backslashes, line breaks and '<' are escaped; ascii_only escapes every other character too."""
    assert labels.css_string('say "hi" \\ </style>\n') == r'"say \22hi\22  \5C  \3C/style>\A"'
    assert labels.css_string("«\u00a0A", ascii_only=True) == r'"\AB\A0 A"'


# CLDR facts, read from Babel once and then from the cache


LOCALE_TAGS = [*catalogue_names(), "en-US", "fr-CA", "pt-BR", "de-CH", "es-MX", "zh-TW", "ar-EG"]


@pytest.mark.parametrize("language", LOCALE_TAGS)
def test_dates_from_cached_facts_are_babels(language: str) -> None:
    """Every day of a year, written from the kept facts, is what Babel's format_date writes for the locale."""
    from babel.dates import format_date

    facts = labels_for(language).cldr
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        assert facts.date(day) == format_date(day, "long", locale=facts.locale), day
        day += dt.timedelta(days=1)


def test_babel_writes_dates_whose_pattern_needs_it() -> None:
    """Without date parts (a pattern with an era or a weekday) Babel writes the date, the ordinal day quoted in."""
    facts = replace(labels_for("fr").cldr, date_parts=())
    assert facts.date(dt.date(2026, 11, 1), "1er") == "1er novembre 2026"
    assert facts.date(dt.date(2026, 11, 20)) == "20 novembre 2026"


def test_large_numbers_and_their_plurals_go_to_babel() -> None:
    """From 1,000 on, numbers and plural categories come from Babel itself."""
    polish = labels_for("pl")
    assert polish.format("use_count", count=1002) == "1\u00a0002 wystąpienia:"
    assert polish.format("use_count", count=1005) == "1\u00a0005 wystąpień:"
    assert labels_for("en").format("ordinal", n=1001) == "1,001st"


def test_cached_facts_are_read_back_and_a_damaged_entry_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts written to the cache read back equal; a truncated entry is ignored and written afresh."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("BRIEFING_CACHE", raising=False)
    cldr.facts.cache_clear()
    first = cldr.facts("fr-CA", "fr")
    (entry,) = (tmp_path / "briefing-generator" / "cldr").iterdir()
    cldr.facts.cache_clear()
    assert cldr.facts("fr-CA", "fr") == first
    entry.write_bytes(entry.read_bytes()[:100])
    cldr.facts.cache_clear()
    assert cldr.facts("fr-CA", "fr") == first
    assert cldr._read(entry) == first
    cldr.facts.cache_clear()


# The French document in every output


def test_french_epub_nav_landmarks_and_ncx(french: Path) -> None:
    """The EPUB's table of contents, landmarks and NCX name its parts in French."""
    epub = french / f"{FRENCH}.epub"
    nav = epub_xml(epub, "EPUB/nav.xhtml")
    assert text_of(nav.xpath("//x:title", namespaces=NS)[0]) == "Table des matières"
    assert text_of(nav.xpath("//x:nav[@id='toc']/x:h1", namespaces=NS)[0]) == "Table des matières"
    toc = [text_of(a) for a in nav.xpath("//x:nav[@id='toc']/x:ol/x:li/x:a", namespaces=NS)]
    assert toc == ["Page de titre", "Le constat", "Les perspectives", "Glossaire"]
    assert text_of(nav.xpath("//x:nav[@id='landmarks']/x:h2", namespaces=NS)[0]) == "Repères"
    landmarks = [text_of(a) for a in nav.xpath("//x:nav[@id='landmarks']//x:a", namespaces=NS)]
    assert landmarks == ["Couverture", "Table des matières", "Début du contenu", "Glossaire"]
    ncx = epub_xml(epub, "EPUB/toc.ncx")
    assert [t.text for t in ncx.xpath("//ncx:navPoint/ncx:navLabel/ncx:text", namespaces=NS)][:1] == ["Page de titre"]
    assert "Glossaire" in [t.text for t in ncx.xpath("//ncx:navLabel/ncx:text", namespaces=NS)]


def test_french_epub_cover_and_title_page(french: Path) -> None:
    """The cover's title and alt text, and the title page's imprint, date and key points are French."""
    epub = french / f"{FRENCH}.epub"
    cover = epub_xml(epub, "EPUB/cover.xhtml")
    assert text_of(cover.xpath("//x:title", namespaces=NS)[0]) == "Couverture"
    alt = cover.xpath("//x:img/@alt", namespaces=NS)[0]
    assert alt == "Couverture\u00a0: Note de synthèse. Le fret ferroviaire. Où en est le report modal"
    title = epub_xml(epub, "EPUB/title.xhtml")
    assert title.xpath("//x:section[@epub:type='titlepage']/@aria-label", namespaces=NS) == ["Page de titre"]
    assert [text_of(dt) for dt in title.xpath("//x:dt", namespaces=NS)] == ["Par", "Éditeur", "Date"]
    assert text_of(title.xpath("//x:time", namespaces=NS)[0]) == "1er novembre 2026"
    assert text_of(title.xpath("//x:h2[@id='key-points-title']", namespaces=NS)[0]) == "Points clés"


def test_french_epub_footnotes_and_glossary(french: Path) -> None:
    """Footnote labels and back-links, and the glossary's 'used in' line with its aria-labels, are French."""
    epub = french / f"{FRENCH}.epub"
    chapter = epub_xml(epub, "EPUB/ch1.xhtml")
    assert chapter.xpath("//x:section[@class='footnotes']/@aria-label", namespaces=NS) == ["Notes"]
    assert chapter.xpath("//x:a[@class='note-back']/@aria-label", namespaces=NS) == ["Retour à la note 1 dans le texte"]
    assert text_of(chapter.xpath("//x:p[@class='callout-label']", namespaces=NS)[0]) == "Note"
    glossary = epub_xml(epub, "EPUB/glossary.xhtml")
    assert text_of(glossary.xpath("//x:h1", namespaces=NS)[0]) == "Glossaire"
    used = glossary.xpath("//x:p[@class='used-in']", namespaces=NS)[0]
    assert text_of(used) == "Utilisé dans\u00a0: Chapitre 1 (3 occurrences\u00a0: 1, 2, 3), Chapitre 2"
    assert used.xpath(".//x:a/@aria-label", namespaces=NS) == [f"Chapitre 1, occurrence {n}" for n in (1, 2, 3)]


def test_french_web_page(french: Path) -> None:
    """The web page's title, skip link, imprint, contents, notes, glossary, date and quote marks are French."""
    source = (french / f"{FRENCH}.html").read_text(encoding="utf-8")
    page = html.fromstring(source)
    assert page.findtext(".//title") == "Le fret ferroviaire\u00a0: Où en est le report modal"
    assert text_of(page.find_class("skip-link")[0]) == "Aller au texte"
    assert [text_of(dt) for dt in page.xpath("//dl[@class='imprint']//dt")] == ["Par", "Éditeur", "Date"]
    assert [text_of(t) for t in page.xpath("//time")] == ["1er novembre 2026"] * 2
    assert text_of(page.get_element_by_id("toc-title")) == "Table des matières"
    assert text_of(page.get_element_by_id("key-points-title")) == "Points clés"
    assert text_of(page.get_element_by_id("ch1-notes-title")) == "Notes"
    assert page.xpath("//a[@class='backlink']/@aria-label") == ["Retour à la note 1 dans le texte"]
    assert text_of(page.get_element_by_id("glossary-title")) == "Glossaire"
    assert text_of(page.find_class("used-in-label")[0]) == "Utilisé dans"
    assert page.xpath("//a[@class='use']/@aria-label")[:2] == ["Occurrence 1 dans le chapitre 1", "Occurrence 2 dans le chapitre 1"]
    assert '.callout.pullquote p::before { content: "\\AB\\202F"; }' in source


def test_french_pdf(french: Path) -> None:
    """The PDF's cover date, contents, page footer, glossary, its bookmark and the quote marks are French."""
    pdf = french / f"{FRENCH}.pdf"
    text = pdf_text(pdf)
    for expected in ("1ER NOVEMBRE 2026", "POINTS CLÉS", "Table des matières", "Page 2 sur 5", "Page 5 sur 5",
                     "Glossaire", "Les numéros de page indiquent", "PAGES 3–4"):  # consecutive pages as a range
        assert expected in text, expected
    assert "« Le ferroutage est devenu rentable. »" in re.sub(r"\s+", " ", text)  # pypdf reads any space as U+00A0 here
    assert [item.title for item in PdfReader(str(pdf)).outline if not isinstance(item, list)][-1] == "Glossaire"


def test_french_outputs_keep_no_english_label(french: Path) -> None:
    """No English label is left anywhere in the three outputs."""
    with zipfile.ZipFile(french / f"{FRENCH}.epub") as archive:
        epub = " ".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith((".xhtml", ".ncx")))
    web = re.sub(r"<style>.*?</style>", "", (french / f"{FRENCH}.html").read_text(encoding="utf-8"), flags=re.DOTALL)
    texts = {"epub": epub, "web": web,
             "pdf": pdf_text(french / f"{FRENCH}.pdf")}
    for output, text in texts.items():
        for word in ENGLISH_WORDS:
            assert word not in text, (output, word)


# Overrides and refusals


def french_copy(tmp_path: Path, extra: str) -> Path:
    """The French fixture copied under tmp_path/source with lines added to its document.yaml."""
    root = tmp_path / "source" / FRENCH
    shutil.copytree(FIXTURES / FRENCH, root)
    meta = root / "document.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return root


def test_override_in_document_yaml_wins(tmp_path: Path) -> None:
    """labels: in document.yaml replaces the catalogue's text, in the chapters' callouts too; plural forms may be given."""
    root = french_copy(tmp_path, 'labels:\n  contents: Sommaire\n  note: À retenir\n'
                                 '  use_count:\n    one: "{count} mention :"\n    other: "{count} mentions :"\n')
    result = run_generator("epub", FRENCH, "--source", str(root.parent), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    epub = tmp_path / "out" / f"{FRENCH}.epub"
    nav = epub_xml(epub, "EPUB/nav.xhtml")
    assert text_of(nav.xpath("//x:nav[@id='toc']/x:h1", namespaces=NS)[0]) == "Sommaire"
    chapter = epub_xml(epub, "EPUB/ch1.xhtml")
    assert text_of(chapter.xpath("//x:p[@class='callout-label']", namespaces=NS)[0]) == "À retenir"
    glossary = epub_xml(epub, "EPUB/glossary.xhtml")
    assert "(3 mentions : 1, 2, 3)" in text_of(glossary.xpath("//x:p[@class='used-in']", namespaces=NS)[0])
    assert text_of(glossary.xpath("//x:h1", namespaces=NS)[0]) == "Glossaire"  # the rest stays the catalogue's


def test_unknown_label_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt label key is refused at its own line, with the nearest label suggested."""
    root = french_copy(tmp_path, "labels:\n  contents: Sommaire\n  glosary: Lexique\n")
    with pytest.raises(SourceError) as error:
        load_document(root)
    assert [(p.line, p.column, p.message) for p in error.value.problems] == [
        (20, 3, "unknown label 'glosary'; did you mean 'glossary'?")]


def test_unknown_label_far_from_any_lists_the_labels(tmp_path: Path) -> None:
    """A label key like no other is refused with every label listed."""
    root = french_copy(tmp_path, "labels:\n  zzz: Lexique\n")
    with pytest.raises(SourceError) as error:
        load_document(root)
    assert error.value.problems[0].message == f"unknown label 'zzz'; valid labels are: {', '.join(reference().labels)}"


def test_wrong_label_texts_are_all_reported(tmp_path: Path) -> None:
    """An unknown placeholder, an empty text, a wrong form and a missing 'other' form: each at its own line."""
    root = french_copy(tmp_path, 'labels:\n  back_to_note: "Retour à {note}"\n  contents: ""\n'
                                 '  use_count:\n    several: "{count} fois"\n  page_of_pages: [a]\n')
    with pytest.raises(SourceError) as error:
        load_document(root)
    assert [(p.line, p.message) for p in error.value.problems] == [
        (19, "label 'back_to_note' has an unknown placeholder {note}; it may use {n}"),
        (20, "label 'contents' must not be empty"),
        (22, "label 'use_count' has no form 'several'; its forms are zero, one, two, few, many, other"),
        (22, "label 'use_count' needs an 'other' form"),
        (23, "label 'page_of_pages' must be text"),
    ]


def test_formatted_placeholder_is_refused(tmp_path: Path) -> None:
    """A placeholder with a format or conversion ({n:>3}) is refused: numbers are written for the locale."""
    root = french_copy(tmp_path, 'labels:\n  back_to_note: "Retour à {n:>3}"\n')
    with pytest.raises(SourceError) as error:
        load_document(root)
    assert [p.message for p in error.value.problems] == ["label 'back_to_note' formats a placeholder; write it plain, as {n}"]


def test_language_without_catalogue_builds_in_english_with_one_warning(tmp_path: Path) -> None:
    """language: tlh builds, in English throughout, and says so once, at the language line."""
    root = french_copy(tmp_path, "")
    meta = root / "document.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("language: fr", "language: tlh"), encoding="utf-8")
    result = run_generator("html", FRENCH, "--source", ".", "--out", str(tmp_path / "out"), cwd=root.parent)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"{FRENCH}/document.yaml:7:11: warning: no labels for language 'tlh'; the labels are in "
                        f"English (languages: {', '.join(catalogue_names())})"]
    page = html.fromstring((tmp_path / "out" / f"{FRENCH}.html").read_text(encoding="utf-8"))
    assert page.get("lang") == "tlh"
    assert text_of(page.get_element_by_id("toc-title")) == "Contents"
    assert [text_of(t) for t in page.xpath("//time")] == ["1 November 2026"] * 2
