"""The peers: Pandoc 3 (PyPI ``pypandoc-binary``) converting the same Markdown, and Typst setting
what Pandoc makes of it.

Pandoc reads the chapter files in the order ``document.yaml`` lists them (``--file-scope``, so
each keeps its own footnote labels) plus the glossary written out as a Markdown definition
list, with a table of contents, so that it typesets the same text we do. It has no glossary
linking and no back-references: those are ours alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml


def pandoc_binary() -> str:
    """The path of the pandoc executable shipped by pypandoc-binary."""
    import pypandoc

    return str(pypandoc.get_pandoc_path())


def pandoc_version() -> str:
    """Pandoc's version string."""
    import pypandoc

    return str(pypandoc.get_pandoc_version())


def pandoc_inputs(root: Path, work: Path) -> tuple[list[Path], dict[str, str]]:
    """The Markdown files Pandoc reads for the document in ``root``, and its metadata."""
    meta = yaml.safe_load((root / "document.yaml").read_text(encoding="utf-8"))
    inputs = [root / name for name in meta["chapters"]]
    glossary_file = root / "glossary.yaml"
    if glossary_file.exists():
        work.mkdir(parents=True, exist_ok=True)
        glossary_md = work / f"{root.name}-glossary.md"
        glossary_md.write_text(glossary_markdown(yaml.safe_load(glossary_file.read_text(encoding="utf-8")) or []),
                               encoding="utf-8")
        inputs.append(glossary_md)
    return inputs, {"title": str(meta["title"]), "lang": str(meta.get("language", "en"))}


def glossary_markdown(entries: list[dict[str, object]]) -> str:
    """The glossary as a Pandoc definition list."""
    lines = ["# Glossary", ""]
    for entry in sorted(entries, key=lambda e: str(e["term"]).casefold()):
        lines += [str(entry["term"]), f": {entry['definition']}", ""]
    return "\n".join(lines)


def pandoc_command(pandoc: str, inputs: list[Path], meta: dict[str, str], resource_dir: Path, out: Path) -> list[str]:
    """The Pandoc command line; the output's extension picks EPUB or PDF (through WeasyPrint)."""
    command = [pandoc, "--from=markdown", "--file-scope", "--standalone", "--toc",
               f"--resource-path={resource_dir}", "-o", str(out)]
    command += [f"--metadata={key}:{value}" for key, value in meta.items()]
    if out.suffix == ".pdf":
        command.append("--pdf-engine=weasyprint")
    return command + [str(p) for p in inputs]


def typst_source(pandoc: str, inputs: list[Path], meta: dict[str, str], resource_dir: Path, out: Path) -> Path:
    """The document as Typst markup (``out``), written by Pandoc from the same Markdown, its
    pictures copied beside it so that their paths are absolute; not timed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = pandoc_command(pandoc, inputs, meta, resource_dir, out) + [f"--extract-media={out.parent / 'media'}"]
    subprocess.run(command, cwd=resource_dir, check=True, capture_output=True)
    return out


def typst_command(source: Path, out: Path) -> list[str]:
    """Typst (PyPI ``typst``) setting ``source`` into the PDF ``out``, in a fresh process (bench/typeset.py)."""
    return [sys.executable, "-m", "bench.typeset", str(source), str(out)]
