"""The print-shop variant: PDF/X-4 with a CMYK output intent, 3 mm bleed, crop marks in a slug,
text in black ink alone, the same bytes every build; the accessible PDF left as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from generator.engine import rgb_to_cmyk
from generator.writers.press import INSTALLED_PROFILE
from tests.conftest import FIXTURES, ROOT, SEED, SOURCE, run_generator
from tests.helpers import colour_operators, text_runs

MM = 72 / 25.4
A4 = (595.2756, 841.8898)
LETTER = (612.0, 792.0)

pytestmark = pytest.mark.skipif(not INSTALLED_PROFILE.is_file() and not os.environ.get("CI"),
                                reason=f"no CMYK profile at {INSTALLED_PROFILE}: run make .venv/.installed test")


def build_print(out: Path, slug: str = SEED, *args: str, source: Path = SOURCE) -> Path:
    """Build one document's print variant with the real command and return its path."""
    result = run_generator("print", slug, "--source", str(source), "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return out / f"{slug}-print{'-letter' if 'letter' in args else ''}.pdf"


@pytest.fixture(scope="module")
def print_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed briefing's print variant on A4."""
    return build_print(tmp_path_factory.mktemp("print"))


def test_print_pdf_declares_pdf_x4_with_a_cmyk_output_intent(print_pdf: Path) -> None:
    """The catalogue's one output intent is GTS_PDFX with a 4-component (CMYK) ICC profile; the XMP says PDF/X-4."""
    reader = PdfReader(str(print_pdf))
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert str(intent["/OutputConditionIdentifier"]) == "FOGRA39L coated"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4
    assert profile.get_data()[16:20] == b"CMYK"
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
    assert reader.pdf_header == "%PDF-1.6"


def test_every_page_has_3mm_bleed_inside_a_slug_for_the_marks(print_pdf: Path) -> None:
    """TrimBox is the A4 page, BleedBox 3 mm outside it and MediaBox 13 mm outside it, on every page."""
    for page in PdfReader(str(print_pdf)).pages:
        trim = [float(v) for v in page["/TrimBox"]]
        assert trim == pytest.approx([0, 0, *A4], abs=0.01)
        for box, margin in (("/BleedBox", 3), ("/MediaBox", 13)):
            x0, y0, x1, y1 = (float(v) for v in page[box])
            assert (x0, y0, x1, y1) == pytest.approx(
                (trim[0] - margin * MM, trim[1] - margin * MM, trim[2] + margin * MM, trim[3] + margin * MM), abs=0.01)


def test_crop_marks_are_drawn_in_the_slug_and_not_in_the_bleed(print_pdf: Path, tmp_path: Path) -> None:
    """Rendered at 1 px per point: dark pixels on the trim line in the slug; none in the bleed band's corner."""
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-gray", str(print_pdf),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    slug, bleed = 13 * MM, 3 * MM

    def dark(x0: float, y0: float, x1: float, y1: float) -> bool:
        return image.crop((round(x0), round(y0), round(x1), round(y1))).getextrema()[0] < 128

    assert dark(0, slug - 1, slug / 2, slug + 1)  # the top-left mark along the trim's top edge
    assert dark(slug - 1, 0, slug + 1, slug / 2)  # ... and along its left edge
    assert not dark(slug - bleed + 0.5, slug - bleed + 0.5, slug - 0.5, slug - 0.5)  # nothing in the bleed's corner


def test_no_text_is_drawn_in_rgb_and_body_text_is_black_ink_alone(print_pdf: Path) -> None:
    """No page uses an RGB colour operator; every text run is CMYK or grey; the body text is 0 0 0 1 (not rich black)."""
    reader = PdfReader(str(print_pdf))
    body = []
    for number in range(len(reader.pages)):
        assert not colour_operators(reader, number) & {b"rg", b"RG"}
        runs = text_runs(reader, number)
        assert {run.colour[0] for run in runs} <= {"cmyk", "gray"}
        body += [run.colour[1] for run in runs if run.font == "Source-Serif-Pro" and run.size == 11]
    assert body and set(body) == {(0.0, 0.0, 0.0, 1.0)}


def test_a_theme_s_rgb_accent_reaches_the_press_in_cmyk(tmp_path: Path) -> None:
    """The themed fixture's red accent (#a3242e) is drawn as CMYK, and no RGB operator is left."""
    pdf = build_print(tmp_path, "themed", source=FIXTURES)
    reader = PdfReader(str(pdf))
    colours = {run.colour for n in range(len(reader.pages)) for run in text_runs(reader, n)}
    assert ("cmyk", rgb_to_cmyk(0xa3 / 255, 0x24 / 255, 0x2e / 255)) in colours  # #a3242e converted
    assert rgb_to_cmyk(0xa3 / 255, 0x24 / 255, 0x2e / 255) == (0.0, 0.7791, 0.7178, 0.3608)
    assert all(not colour_operators(reader, n) & {b"rg", b"RG"} for n in range(len(reader.pages)))


def test_two_print_builds_are_byte_identical(print_pdf: Path, tmp_path: Path) -> None:
    """A second build in a fresh process gives the same bytes: WeasyPrint's random DocumentID does not leak in."""
    again = build_print(tmp_path)
    assert again.read_bytes() == print_pdf.read_bytes()
    xmp = PdfReader(str(again)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<xmpMM:DocumentID>xmp.did:" in xmp


def test_the_print_variant_leaves_the_accessible_pdf_alone(print_pdf: Path, seed_pdf: Path) -> None:
    """The print build writes only <slug>-print.pdf; <slug>.pdf stays PDF/UA with no PDF/X output intent."""
    assert sorted(p.name for p in print_pdf.parent.iterdir()) == [print_pdf.name]
    reader = PdfReader(str(seed_pdf))
    assert "/OutputIntents" not in reader.trailer["/Root"] or all(
        i.get_object()["/S"] != "/GTS_PDFX" for i in reader.trailer["/Root"]["/OutputIntents"])
    assert b"pdfuaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_letter_print_variant_has_its_own_name_and_letter_trim(tmp_path: Path) -> None:
    """--paper letter writes <slug>-print-letter.pdf, trimmed to 612 x 792 pt."""
    pdf = build_print(tmp_path, SEED, "--paper", "letter")
    assert pdf.name == f"{SEED}-print-letter.pdf"
    page = PdfReader(str(pdf)).pages[0]
    assert [float(v) for v in page["/TrimBox"]] == pytest.approx([0, 0, *LETTER], abs=0.01)


def test_the_print_shop_s_profile_is_used_when_given(tmp_path: Path) -> None:
    """--profile names another CMYK profile: its bytes become the output intent."""
    profile = tmp_path / "shop.icc"
    shutil.copy(INSTALLED_PROFILE, profile)
    data = bytearray(profile.read_bytes())
    data[44:48] = b"SHOP"  # the header's device manufacturer: a profile distinct from the installed one
    profile.write_bytes(bytes(data))
    pdf = build_print(tmp_path / "out", SEED, "--profile", str(profile))
    intent = PdfReader(str(pdf)).trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/DestOutputProfile"].get_object().get_data()[44:48] == b"SHOP"


def test_an_rgb_profile_is_refused_with_the_reason(tmp_path: Path) -> None:
    """An sRGB profile given as the print shop's stops the build (exit 2) and says it is not CMYK."""
    import weasyprint

    srgb = Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc"
    result = run_generator("print", SEED, "--out", str(tmp_path), "--profile", str(srgb))
    assert result.returncode == 2
    assert "is a RGB profile; the print variant needs a CMYK one" in result.stderr
    assert not list(tmp_path.iterdir())


def test_make_print_builds_the_print_file_name(tmp_path: Path) -> None:
    """`make -n pdf PRINT=1 PAPER=letter` would run the print command into <slug>-print-letter.pdf."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "-n", "pdf", "PRINT=1", "PAPER=letter",
                             f"DOC={SEED}", f"BUILD={tmp_path}", f"PY={sys.executable}"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert f"-m generator print {SEED} --out {tmp_path} --paper letter" in result.stdout


def test_greys_are_black_ink_alone_and_colours_convert_simply() -> None:
    """A grey becomes a tint of K with no C, M or Y; black is 0 0 0 1; the teal accent keeps its hue in C and M."""
    assert rgb_to_cmyk(0.5, 0.5, 0.5) == (0.0, 0.0, 0.0, 0.5)
    assert rgb_to_cmyk(0, 0, 0) == (0.0, 0.0, 0.0, 1.0)
    assert rgb_to_cmyk(1, 1, 1) == (0.0, 0.0, 0.0, 0.0)
    assert rgb_to_cmyk(0x0b / 255, 0x55 / 255, 0x63 / 255) == (0.8889, 0.1414, 0.0, 0.6118)


def test_a_missing_installed_profile_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without --profile and without the set-up's profile, the build stops saying how to build it or give one."""
    from generator.errors import UsageError
    from generator.writers import press

    monkeypatch.setattr(press, "INSTALLED_PROFILE", tmp_path / "none.icc")
    with pytest.raises(UsageError, match=r"none\.icc: .*`make pdf PRINT=1` builds it.*--profile"):
        press.cmyk_profile(None)
