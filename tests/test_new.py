"""`new`: a starter document that builds at once, never over an existing folder, only with a valid name."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import ROOT, run_generator
from tests.helpers import epubcheck_problems, pdf_text, squash


def test_new_document_builds_pdf_and_a_clean_epub(tmp_path: Path) -> None:
    """new creates a commented document.yaml, a chapter and a glossary; PDF and EPUB build, EPUBCheck is clean."""
    source, out = tmp_path / "source", tmp_path / "build"
    created = run_generator("new", "water-policy-2027", "--source", str(source))
    assert created.returncode == 0, created.stderr
    root = source / "water-policy-2027"
    assert sorted(p.name for p in root.iterdir()) == ["01-introduction.md", "document.yaml", "glossary.yaml"]
    assert sum(line.lstrip().startswith("#") for line in (root / "document.yaml").read_text().splitlines()) >= 5
    built = run_generator("all", "water-policy-2027", "--source", str(source), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert built.stderr == ""  # no warnings either
    assert PdfReader(str(out / "water-policy-2027.pdf")).metadata.title == "Water policy 2027"
    text = squash(pdf_text(out / "water-policy-2027.pdf"))
    assert squash("Introduction") in text and squash("Footnotes are numbered in each chapter") in text
    assert epubcheck_problems(out / "water-policy-2027.epub") == []


def test_new_takes_its_date_from_source_date_epoch(tmp_path: Path) -> None:
    """With SOURCE_DATE_EPOCH set, the starter's date is that day, so runs are reproducible."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z
    assert run_generator("new", "dated", "--source", str(tmp_path), env=env).returncode == 0
    assert "date: 2026-01-01" in (tmp_path / "dated" / "document.yaml").read_text()


def test_new_refuses_an_existing_folder(tmp_path: Path) -> None:
    """A second new with the same name exits 2, says the folder exists and leaves its files untouched."""
    assert run_generator("new", "mine", "--source", str(tmp_path)).returncode == 0
    chapter = tmp_path / "mine" / "01-introduction.md"
    chapter.write_text("# My own words\n", encoding="utf-8")
    again = run_generator("new", "mine", "--source", str(tmp_path))
    assert again.returncode == 2
    assert "already exists" in again.stderr and "mine" in again.stderr
    assert chapter.read_text() == "# My own words\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging folder left behind


@pytest.mark.parametrize("slug", ["Bad Name", "../escape", "trailing-", "double--hyphen", "UPPER", "a" * 65])
def test_new_refuses_an_invalid_slug(tmp_path: Path, slug: str) -> None:
    """A --slug that is not lower-case letters, digits and single hyphens exits 2 and creates nothing."""
    result = run_generator("new", "A title", "--slug", slug, "--source", str(tmp_path / "source"))
    assert result.returncode == 2
    assert f"invalid document name '{slug}'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "source").exists()


def test_new_takes_a_title_and_derives_the_slug(tmp_path: Path) -> None:
    """new "Heat pumps in rented housing" makes heat-pumps-in-rented-housing/ titled as written, and says how to build it."""
    source = tmp_path / "source"
    result = run_generator("new", "Heat pumps in rented housing: what's next", "--source", str(source))
    assert result.returncode == 0, result.stderr
    slug = "heat-pumps-in-rented-housing-what-s-next"
    assert result.stdout == (f"created {source / slug}; build it with: "
                             f"python -m generator all {slug} --source {source}\n")
    assert yaml.safe_load((source / slug / "document.yaml").read_text())["title"] == "Heat pumps in rented housing: what's next"


def test_new_takes_a_slug_beside_the_title(tmp_path: Path) -> None:
    """--slug names the folder; the title stays as written, quotes and all."""
    result = run_generator("new", 'The "big" one', "--slug", "big-one", "--source", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((tmp_path / "big-one" / "document.yaml").read_text())["title"] == 'The "big" one'


def test_new_refuses_a_title_without_a_folder_name(tmp_path: Path) -> None:
    """A title with no letter a folder name can hold asks for --slug, exit 2."""
    result = run_generator("new", "热泵", "--source", str(tmp_path / "source"))
    assert result.returncode == 2
    assert result.stderr == ("error: cannot make a folder name from the title '热泵': give one with --slug "
                             "(make new NAME=... SLUG=...), lower-case letters, digits and single hyphens\n")
    assert not (tmp_path / "source").exists()


def test_new_in_the_project_suggests_make(tmp_path: Path) -> None:
    """From the project (source/ by default), new suggests make and the direct command."""
    from generator.cli import build_command

    assert build_command("water", Path("source")) == "make DOC=water (or: python -m generator all water)"


def test_new_through_the_installed_command_suggests_briefing(tmp_path: Path) -> None:
    """Run as `briefing`, new suggests `briefing all SLUG`: there is no Makefile beside an installed command."""
    script = "import sys; sys.argv[0] = 'briefing'; from generator.cli import main; sys.exit(main())"
    result = subprocess.run([sys.executable, "-c", script, "new", "water", "--source", "source"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "created source/water; build it with: briefing all water\n"


def test_the_starters_commented_settings_are_valid_once_uncommented(tmp_path: Path) -> None:
    """Every commented example key of the starter's document.yaml, uncommented, passes check (the
    logo once its picture exists), so the examples a newcomer copies never rot."""
    source = tmp_path / "source"
    assert run_generator("new", "examples", "--source", str(source)).returncode == 0
    root = source / "examples"
    lines = (root / "document.yaml").read_text().splitlines()
    example = re.compile(r"^# ?( *[a-z_]+:.*)$")  # '# key: value' and '#   key: value', not prose
    uncommented = [example.sub(r"\1", line) if example.match(line) and not line.startswith("# subtitle: A line") else line
                   for line in lines]
    assert sum(a != b for a, b in zip(lines, uncommented)) >= 8
    (root / "document.yaml").write_text("\n".join(uncommented) + "\n")
    (root / "images").mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "themed" / "images" / "logo.png", root / "images" / "logo.png")
    checked = run_generator("check", "examples", "--source", str(source))
    assert checked.returncode == 0, checked.stderr
