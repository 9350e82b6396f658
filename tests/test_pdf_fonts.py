"""The fonts kept between a process's layouts (generator/writers/pdf_fonts.py): reused while they
hold, made anew when a font or stylesheet file or the @font-face rules change."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from generator.build import build
from generator.fetch import SandboxedFetcher, file_stamp
from generator.templates import font_faces
from generator.writers import BuildOptions, pdf_fonts
from generator.writers.segments import forked
from tests.conftest import FIXTURES, ROOT

SLUG = "epub-minimal"
OWN_FACE = '@font-face { font-family: "Own"; src: url("fonts/own.otf"); }\n* { font-family: "Own" !important; }\n'


def face_file(family: str) -> Path:
    """The project's regular upright file of a family."""
    return next(f.path for f in font_faces() if f.family == family and f.weight == 400 and f.style == "normal")


def own_font_program(pdf: Path) -> bytes:
    """The font program the PDF embeds for the family "Own" (WeasyPrint names a font after its CSS family)."""
    for page in PdfReader(pdf).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            if str(font["/BaseFont"]).split("+")[-1] == "Own":
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font \
                    else font["/FontDescriptor"]
                descriptor = descriptor.get_object()
                stream = next(descriptor[key] for key in ("/FontFile3", "/FontFile2", "/FontFile") if key in descriptor)
                return bytes(stream.get_object().get_data())
    raise AssertionError("no font Own")


@pytest.fixture
def own_font_document(tmp_path: Path) -> Path:
    """A copy of a small fixture whose print theme sets everything in its own font, fonts/own.otf (Source Serif)."""
    root = tmp_path / "source" / SLUG
    shutil.copytree(FIXTURES / SLUG, root)
    (root / "fonts").mkdir()
    shutil.copyfile(face_file("Source Serif Pro"), root / "fonts" / "own.otf")
    (root / "templates" / "print").mkdir(parents=True)
    (root / "templates" / "print" / "theme.css").write_text(OWN_FACE, encoding="utf-8")
    return root


def test_a_font_replaced_between_two_builds_of_one_process_is_the_one_embedded(own_font_document: Path,
                                                                              tmp_path: Path) -> None:
    """The second build (as make watch makes it) embeds the new file, not the face the kept fonts first read."""
    out = tmp_path / "out"
    build(own_font_document.parent, [SLUG], ["pdf"], out, BuildOptions())
    assert b"SourceSerifPro" in own_font_program(out / f"{SLUG}.pdf")
    shutil.copyfile(face_file("Source Sans Pro"), own_font_document / "fonts" / "own.otf")
    build(own_font_document.parent, [SLUG], ["pdf"], out, BuildOptions())
    program = own_font_program(out / f"{SLUG}.pdf")
    assert b"SourceSansPro" in program and b"SourceSerifPro" not in program


def test_builds_in_one_process_share_the_fonts_and_give_a_fresh_process_bytes(tmp_path: Path) -> None:
    """Two documents built in turn, twice, in one process: one configuration per document, reused, and each
    PDF the same bytes as the command's in a new process."""
    kept_before = dict(pdf_fonts._KEPT)
    digests = []
    configs = []
    for slug in ("i18n-ja", SLUG, "i18n-ja", SLUG):
        build(FIXTURES, [slug], ["pdf"], tmp_path / "warm", BuildOptions())
        digests.append(hashlib.sha256((tmp_path / "warm" / f"{slug}.pdf").read_bytes()).hexdigest())
        configs.append(pdf_fonts._KEPT[(FIXTURES / slug).resolve()].config)
    assert configs[0] is configs[2] and configs[1] is configs[3] and configs[0] is not configs[1]
    assert digests[0] == digests[2] and digests[1] == digests[3]
    for slug, digest in (("i18n-ja", digests[0]), (SLUG, digests[1])):
        subprocess.run([sys.executable, "-m", "generator", "pdf", slug, "--source", str(FIXTURES),
                        "--out", str(tmp_path / "cold"), "--no-progress"], cwd=ROOT, check=True, capture_output=True)
        assert hashlib.sha256((tmp_path / "cold" / f"{slug}.pdf").read_bytes()).hexdigest() == digest, slug
    pdf_fonts._KEPT.clear()
    pdf_fonts._KEPT.update(kept_before)


def test_the_kept_fonts_are_made_anew_for_other_rules_or_a_changed_file(tmp_path: Path) -> None:
    """The same rules and files: the same configuration; another rule, or a file it read changed or gone: a new one."""
    root = tmp_path / "doc"
    font = tmp_path / "own.otf"
    shutil.copyfile(face_file("Source Serif Pro"), font)
    markup = f"<style>{OWN_FACE}</style>"
    first = pdf_fonts.document_fonts(root, markup)
    first.stamps[font] = file_stamp(font)
    assert pdf_fonts.document_fonts(root, markup + "<p>other text</p>") is first
    other_rules = pdf_fonts.document_fonts(root, markup.replace("own.otf", "two.otf"))
    assert other_rules is not first and pdf_fonts.document_fonts(root, markup) is not other_rules
    again = pdf_fonts.document_fonts(root, markup)
    again.stamps[font] = file_stamp(font)
    font.write_bytes(face_file("Source Sans Pro").read_bytes())
    assert pdf_fonts.document_fonts(root, markup) is not again
    replaced = pdf_fonts.document_fonts(root, markup)
    replaced.stamps[font] = file_stamp(font)
    font.unlink()
    assert pdf_fonts.document_fonts(root, markup) is not replaced
    del pdf_fonts._KEPT[root]


def test_the_fonts_of_the_documents_used_last_are_kept_and_no_more(tmp_path: Path) -> None:
    """A process that builds many documents keeps KEPT_AT_MOST configurations, those of the documents used last."""
    kept_before = dict(pdf_fonts._KEPT)
    pdf_fonts._KEPT.clear()
    markup = f"<style>{OWN_FACE}</style>"
    roots = [tmp_path / f"doc{n}" for n in range(pdf_fonts.KEPT_AT_MOST + 2)]
    first = pdf_fonts.document_fonts(roots[0], markup)
    for root in roots[1:pdf_fonts.KEPT_AT_MOST]:
        pdf_fonts.document_fonts(root, markup)
    assert pdf_fonts.document_fonts(roots[0], markup) is first  # used again: now the last used
    for root in roots[pdf_fonts.KEPT_AT_MOST:]:
        pdf_fonts.document_fonts(root, markup)
    used = [*roots[:pdf_fonts.KEPT_AT_MOST], roots[0], *roots[pdf_fonts.KEPT_AT_MOST:]]
    last_used = list(dict.fromkeys(reversed(used)))[:pdf_fonts.KEPT_AT_MOST]
    assert list(pdf_fonts._KEPT) == last_used[::-1]
    pdf_fonts._KEPT.clear()
    pdf_fonts._KEPT.update(kept_before)


def test_a_forked_child_uses_its_parents_fonts_and_keeps_none_of_its_own(tmp_path: Path) -> None:
    """In a child (segments.py) the parent's configuration is reused; one the child must make is not kept."""
    root, markup = tmp_path / "doc", f"<style>{OWN_FACE}</style>"
    parents = pdf_fonts.document_fonts(root, markup)

    def in_child() -> tuple[bool, bool]:
        reused = pdf_fonts.document_fonts(root, markup) is parents
        made = pdf_fonts.document_fonts(root, markup + "<style>@font-face { font-family: B; src: url(b.otf) }</style>")
        return reused, pdf_fonts._KEPT[root] is made

    assert forked(in_child)() == (True, False)
    assert pdf_fonts._KEPT[root] is parents
    del pdf_fonts._KEPT[root]


def test_the_fetcher_stamps_the_stylesheets_and_fonts_it_serves_before_reading_them(tmp_path: Path) -> None:
    """A stylesheet and a font are stamped with their size and time; a picture is not."""
    for name in ("a.css", "b.otf", "c.png"):
        (tmp_path / name).write_bytes(b"x" * len(name))
    fetcher = SandboxedFetcher([tmp_path], document=tmp_path)
    for name in ("a.css", "b.otf", "c.png"):
        fetcher.fetch(fetcher.base_url + name)
    assert fetcher.stamps == {(tmp_path / n).resolve(): file_stamp(tmp_path / n) for n in ("a.css", "b.otf")}
    assert file_stamp(tmp_path / "a.css") == (5, (tmp_path / "a.css").stat().st_mtime_ns)
    assert file_stamp(tmp_path / "gone.css") is None
