"""The one Jinja environment: the document's own templates first, the project's behind them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator import filters
from generator.cache import template_cache
from generator.labels import Labels, english


def _project_templates() -> Path:
    """The project's templates: shipped in the package when installed, else templates/ of the checkout."""
    shipped = Path(__file__).resolve().parent / "_templates"
    return shipped if shipped.is_dir() else Path(__file__).resolve().parent.parent / "templates"


PROJECT_TEMPLATES = _project_templates()


@dataclass(frozen=True)
class FontFace:
    """One font file offered to the stylesheets through @font-face."""

    family: str
    weight: int | None  # None: a variable font, whose weight axis gives every weight (WeasyPrint instantiates it)
    style: str
    path: Path

    @property
    def url(self) -> str:
        """The file URL of the font, as stylesheets reference it."""
        return self.path.as_uri()


def template_dirs(document_root: Path | None) -> list[Path]:
    """Where templates are looked up, in order: the document's ``templates/``, then the project's."""
    dirs = [document_root / "templates"] if document_root and (document_root / "templates").is_dir() else []
    return [*dirs, PROJECT_TEMPLATES]


def template_url(name: str, document_root: Path | None = None) -> str:
    """The file URL of a template's file (a picture a stylesheet draws), found as templates are: document first."""
    for folder in template_dirs(document_root):
        if (folder / name).is_file():
            return (folder / name).as_uri()
    raise jinja2.TemplateNotFound(name, f"{name} is in none of {', '.join(str(d) for d in template_dirs(document_root))}")


def make_environment(document_root: Path | None = None, labels: Labels | None = None) -> jinja2.Environment:
    """A Jinja environment with autoescaping for markup, strict undefined names and our filters.

    ``labels`` (English when not given) are the words the templates add, as the global
    ``labels``; the filter ``format_date`` writes a date in their language.
    """
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs(document_root)])
    env = jinja2.Environment(
        loader=loader,
        bytecode_cache=template_cache(),
        autoescape=jinja2.select_autoescape(["html", "xhtml", "xml", "opf", "ncx"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["fonts"] = font_faces()
    env.globals["template_url"] = lambda name: template_url(name, document_root)
    env.globals["labels"] = labels = labels or english()
    env.filters["format_date"] = labels.format_date
    env.filters.update(toc_sections=filters.toc_sections, page_uses=filters.page_uses,
                       glossary_groups=filters.glossary_groups)
    return env


def font_faces() -> list[FontFace]:
    """The open-licensed fonts the project installs (SIL OFL Source Serif, Source Sans and Source Code)."""
    import font_source_sans_pro
    import font_source_serif_pro
    import fontpkg_source_code_pro

    faces: list[FontFace] = []
    for family, module, prefix in (
        ("Source Serif Pro", font_source_serif_pro, "SourceSerifPro"),
        ("Source Sans Pro", font_source_sans_pro, "SourceSansPro"),
    ):
        folder = Path(module.font_directory)
        for weight, style, name in (
            (400, "normal", "Regular"),
            (400, "italic", "It"),
            (600, "normal", "Semibold"),
            (600, "italic", "SemiboldIt"),
            (700, "normal", "Bold"),
            (700, "italic", "BoldIt"),
        ):
            faces.append(FontFace(family, weight, style, folder / f"{prefix}-{name}.otf"))
    # Source Code Pro comes as two variable fonts (upright and italic, weights 200 to 900). Their
    # faces declare no weight: a declared one keeps fontconfig from matching the variable file.
    code = Path(fontpkg_source_code_pro.ROOT) / "files"
    faces.append(FontFace("Source Code Pro", None, "normal", code / "SourceCodePro[wght].ttf"))
    faces.append(FontFace("Source Code Pro", None, "italic", code / "SourceCodePro-Italic[wght].ttf"))
    return faces


def font_dirs() -> list[Path]:
    """Folders holding the font files (resources the fetcher may read)."""
    return sorted({face.path.parent for face in font_faces()})
