"""The one Jinja environment: the document's own templates first, the project's behind them.

A document folder may carry its own ``templates/``, written by whoever edits that folder, and
its templates are included by the project's (``print/document.html`` includes the document's
``print/theme.css``) and include the project's in turn. So the one environment is sandboxed,
for the project's templates too: a template sees only the values it is given, never Python's
internals (``cycler.__init__.__globals__.os``), never a method of a path, module, class or open
file (``doc.root.read_text()``), cannot change the values it is given, and cannot build a string
or list of more than a million items. Templates are read only as regular files inside their
folder (a document's inside the document folder: a ``cover.html`` linked to ``/etc/passwd`` is
refused) of at most 1 MB. What the templates produce is checked too (``generator/guard.py``).
"""

from __future__ import annotations

import io
import operator
import os
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from generator import filters
from generator.cache import template_cache
from generator.errors import Problem, SourceError
from generator.files import Unreadable, read_limited
from generator.colophon import colophon
from generator.labels import Labels, english
from generator.scripts import script_for

MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_SEQUENCE = 1_000_000  # items in a string or list a template builds with * or **
# Objects whose methods reach the file system or Python's machinery: a template may not touch them.
OFF_LIMITS = (PurePath, os.PathLike, types.ModuleType, type, io.IOBase)


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


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, also refusing paths, modules, classes and files, and huge repetitions."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """No attribute of a path, module, class or file; otherwise the sandbox's own rules."""
        return not isinstance(obj, OFF_LIMITS) and super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: jinja2.runtime.Context, operator_name: str, left: Any, right: Any) -> Any:
        """``*`` and ``**``, refusing results too large to be meant (``'x' * 10**9`` would take gigabytes)."""
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 1000 and not (isinstance(left, int) and abs(left) <= 1):
                raise jinja2.sandbox.SecurityError(f"the power {left!r} ** {right!r} is too large for a template")
            return operator.pow(left, right)
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and len(sequence) * count > MAX_SEQUENCE:
                raise jinja2.sandbox.SecurityError(f"a template may not repeat a {type(sequence).__name__} "
                                                   f"to more than {MAX_SEQUENCE:,} items")
        return operator.mul(left, right)


class ContainedLoader(jinja2.BaseLoader):
    """Templates of one folder, each read as a regular file inside ``inside`` (the document folder
    for a document's templates), at most MAX_TEMPLATE_BYTES, UTF-8; a refusal is a source error."""

    def __init__(self, folder: Path, inside: Path) -> None:
        self.folder = folder
        self.inside = inside

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        """The template's text, its file name and a test of whether it changed since."""
        path = self.folder.joinpath(*split_template_path(template))  # refuses '..' in the name
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        try:
            data = read_limited(path, MAX_TEMPLATE_BYTES, inside=self.inside)
            text = data.decode("utf-8")
        except Unreadable as error:
            raise SourceError([Problem(path, 1, 0, error.message.replace("source files", "templates"))]) from None
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise SourceError([Problem(path, line, 0, "not valid UTF-8; save the template as UTF-8")]) from None
        mtime = os.path.getmtime(path)
        return text, str(path), lambda: _unchanged(path, mtime)

    def list_templates(self) -> list[str]:
        """Every template name the folder holds."""
        return sorted(p.relative_to(self.folder).as_posix() for p in _files(self.folder))


def _unchanged(path: Path, mtime: float) -> bool:
    """Whether a template file still has the modification time it was loaded with."""
    try:
        return os.path.getmtime(path) == mtime
    except OSError:
        return False


def _files(folder: Path) -> Iterator[Path]:
    """The files below a folder."""
    return (p for p in folder.rglob("*") if p.is_file())


def template_url(name: str, document_root: Path | None = None) -> str:
    """The file URL of a template's file (a picture a stylesheet draws), found as templates are: document first."""
    for folder in template_dirs(document_root):
        if (folder / name).is_file():
            return (folder / name).as_uri()
    raise jinja2.TemplateNotFound(name, f"{name} is in none of {', '.join(str(d) for d in template_dirs(document_root))}")


def qr_svg(url: str, label: str) -> Markup:
    """The template filter ``qr_svg`` (generator/qr.py), whose library is imported on first use:
    segno (with urllib and email) is a twentieth of a second of every start, for the one page
    in a hundred that prints a QR code."""
    from generator.qr import qr_svg as drawn

    return drawn(url, label)


def make_environment(document_root: Path | None = None, labels: Labels | None = None) -> jinja2.Environment:
    """The sandboxed Jinja environment with autoescaping for markup, strict undefined names and our filters.

    ``labels`` (English when not given) are the words the templates add, as the global
    ``labels``; the filter ``format_date`` writes a date in their language.
    """
    loader = jinja2.ChoiceLoader([ContainedLoader(d, document_root if document_root and d != PROJECT_TEMPLATES else d)
                                  for d in template_dirs(document_root)])
    env = TemplateSandbox(
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
    env.globals["script"] = script_for(labels.language)  # direction and fonts (generator/scripts.py)
    env.filters["format_date"] = labels.format_date
    env.filters.update(toc_sections=filters.toc_sections, page_runs=filters.page_runs,
                       glossary_groups=filters.glossary_groups, qr_svg=qr_svg,
                       caption_list=filters.caption_list, colophon=colophon)
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
