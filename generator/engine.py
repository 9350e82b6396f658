"""Every reach-in into a library's internals, each checked against the release it was written for.

WeasyPrint, pydyf, pyphen and ebooklib promise nothing about the code reached into here: the
PDF writer's speed tuning and line-breaking fix, the page progress read from WeasyPrint's log,
the parsed hyphenation patterns handed to pyphen from our cache, and the ``xml:lang`` that
ebooklib's writer leaves off the EPUB's package element, and two CSL rules citeproc-py 0.11
breaks (``initialize="false"``, sort keys read with their quotes and markup, a variable
substituted for a missing author printed a second time).
So each reach-in is a :class:`Patch`
that names the release series it was written for (the one pinned in requirements.lock, the
range in pyproject.toml). On another release it is skipped, with one warning line on stderr
per process, and the build goes on without it; the EPUB's ``xml:lang``, a correctness fix, is
then added another way. A patch around a layout lasts only as long as that layout and leaves
every attribute it replaced as it found it; the EPUB's patch belongs to one writer object; the
hyphenation patterns stay in pyphen, which would keep them anyway. tests/test_engine.py covers
each one.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib
import io
import logging
import re
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from generator import cache


@dataclass(frozen=True)
class Patch:
    """One reach-in: the library it touches, the release series it was written for, and what
    the build does without it."""

    name: str  # "line-breaking fix", as the warning names it
    library: str  # "WeasyPrint", as the project spells itself
    distribution: str  # "weasyprint", as importlib.metadata knows it
    series: str  # "70": any 70.x release
    without: str  # what happens on another release: "the fix is skipped"

    def warning(self, installed: str | None) -> str:
        """The one line printed when the installed release is not of the patch's series."""
        release = f"{self.library} {installed}" if installed else f"{self.library} (no version found)"
        return (f"warning: {release} is not {self.series}.x, for which generator/engine.py's "
                f"{self.name} was written; {self.without}")


LINE_BREAKING = Patch("line-breaking fix", "WeasyPrint", "weasyprint", "70", "the fix is skipped")
PAGE_REFERENCES = Patch("page-reference cache", "pydyf", "pydyf", "0.13",
                        "the cache is skipped (long PDFs are slower)")
PAGE_PROGRESS = Patch("page progress", "WeasyPrint", "weasyprint", "70", "pages are not counted")
HYPHENATION = Patch("hyphenation cache", "pyphen", "pyphen", "0.18", "pyphen parses the patterns itself")
PACKAGE_LANGUAGE = Patch("package-language override", "ebooklib", "ebooklib", "0.20",
                         "xml:lang is added by rewriting the finished package document instead")
PRINT_DOCUMENT_ID = Patch("print DocumentID", "WeasyPrint", "weasyprint", "70",
                          "the print PDF's XMP DocumentID is random, so its bytes differ between builds")
CMYK_COLOURS = Patch("CMYK colours", "WeasyPrint", "weasyprint", "70",
                     "colours given in RGB stay RGB in the print PDF")
MISSING_GLYPHS = Patch("missing-glyph check", "WeasyPrint", "weasyprint", "70",
                       "characters no font has are not found (the PDF may show empty boxes)")
LICENCE_XMP = Patch("licence in XMP", "WeasyPrint", "weasyprint", "70",
                    "the PDF's XMP does not name the licence (the colophon still does)")
NOTES_AND_TABLES = Patch("footnote and table tagging", "WeasyPrint", "weasyprint", "70",
                         "footnotes stay Span elements and a table over pages is one Table per page")
# A reading of WeasyPrint 70's output and of how it writes it: generator/writers/pdf_tags.py
# repairs the structure tree by the shapes this release writes (its marked-content operands,
# a contents entry's Links three deep, a heading's anonymous block as a second H1), in a
# finisher, and has the file written by pdf_pack.py where write_pdf then calls pydyf's
# ``pdf.write(output, version, identifier, compress)``.
TAG_REPAIR = Patch("structure-tree repair", "WeasyPrint", "weasyprint", "70",
                   "the structure tree is left as WeasyPrint wrote it (page furniture, leader dots, nested Links)")
TARGET_INDEX = Patch("target-counter index", "WeasyPrint", "weasyprint", "70",
                     "target-counter() costs each target a pass over every reference (slow with long glossaries)")
PAGES_AS_LAID_OUT = Patch("pages as laid out", "WeasyPrint", "weasyprint", "70",
                          "the glossary's page numbers come from a first layout of their own (slower)")
SETTLED_CONTENT = Patch("page-based content settled", "WeasyPrint", "weasyprint", "70",
                        "a page with target-counter() (the contents) is laid out three times instead of twice")
# WeasyPrint 70 opens each of its seven libraries by trying names in turn, Windows' first
# ("libgobject-2.0-0", "gobject-2.0-0", "gobject-2.0", then "libgobject-2.0.so.0"), and cffi hands
# every name it cannot open to ctypes.util.find_library, which on Linux runs ldconfig, gcc and ld
# for it: 54 processes and about 0.2 s of every PDF command. See import_weasyprint().
QUICK_IMPORT = Patch("quick import", "WeasyPrint", "weasyprint", "70",
                     "importing WeasyPrint runs ldconfig, gcc and ld for each library name it tries and loads "
                     "fontTools' subsetter and instancer (0.27 s)")
# cffi parses every C type it is asked for with pycparser, all of the cdef's typedef names
# declared again around it (2 ms each), and caches the result by its string: WeasyPrint 70 asks
# for an array of each length it subsets a font with (``ffi.new(f'hb_codepoint_t[{n}]', ...)``),
# 13 new parses and 30 ms on the seed. See _array_types_from_items().
ARRAY_TYPES = Patch("array types without a parse", "cffi", "cffi", "2.1",
                    "each length of a C array WeasyPrint allocates is parsed anew (2 ms each)")
UNUSED_PSEUDO_STYLES = Patch("unused pseudo-element styles dropped", "WeasyPrint", "weasyprint", "70",
                             "every element keeps six pseudo-element styles it never uses (190 MB of a 300-page report)")
USES_BY_OFFSET = Patch("uses found by their offsets", "WeasyPrint", "weasyprint", "70",
                       "each use of a term that is not a link keeps a span of its own (a larger layout)")
FONT_FILES_WHEN_READ = Patch("font files copied when read", "WeasyPrint", "weasyprint", "70",
                             "each font's whole file is copied into memory when it is first drawn (20 MB a CJK face)")
# WeasyPrint 70 fills a leader with one copy of its text box per dot (layout/leader.py,
# ``handle_leader``), each shaped again by Pango and drawn as a text object of its own when the
# page is drawn: a contents line holds 60-90 of them. See leaders_in_one_run().
LEADER_RUNS = Patch("leader dots in one run", "WeasyPrint", "weasyprint", "70",
                    "each dot of a contents line's leader is a text box of its own (slower contents)")
CITEPROC_FIXES = Patch("CSL fixes", "citeproc-py", "citeproc-py", "0.11",
                       "given names may be initials, titles sort after their opening quote and a work "
                       "without author repeats its title")
PATCHES = (LINE_BREAKING, PAGE_REFERENCES, PAGE_PROGRESS, HYPHENATION, PACKAGE_LANGUAGE, PRINT_DOCUMENT_ID, CMYK_COLOURS,
           MISSING_GLYPHS, LICENCE_XMP, NOTES_AND_TABLES, TAG_REPAIR, TARGET_INDEX, SETTLED_CONTENT, PAGES_AS_LAID_OUT,
           QUICK_IMPORT, ARRAY_TYPES, UNUSED_PSEUDO_STYLES, FONT_FILES_WHEN_READ, USES_BY_OFFSET,
           LEADER_RUNS, CITEPROC_FIXES)

_warned: set[str] = set()  # the patches already reported as skipped in this process


@functools.cache
def installed_version(distribution: str) -> str | None:
    """The installed release of a distribution, None when it has no metadata (asked once)."""
    from importlib import metadata  # imported here: a few milliseconds only the patches need

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def applies(patch: Patch) -> bool:
    """Whether the installed library is of the patch's series; if not, say so once per process."""
    installed = installed_version(patch.distribution)
    if installed is not None and (installed == patch.series or installed.startswith(patch.series + ".")):
        return True
    if patch.name not in _warned:
        _warned.add(patch.name)
        print(patch.warning(installed), file=sys.stderr, flush=True)
    return False


# Start-up: WeasyPrint imported without a library search

def import_weasyprint() -> None:
    """Import WeasyPrint (once per process, before any other import of it) with cffi's array
    types made without a parse (ARRAY_TYPES), fontTools' subsetter and variable-font instancer
    loaded when first used (_defer_font_tools) and, on
    Linux, ctypes' library search switched off (QUICK_IMPORT): each library is then opened by the
    first of its names the dynamic loader knows, "libpango-1.0.so.0", the same file the search
    finds. Should that fail (a library the loader finds only through the search), what was
    imported is forgotten and the caller's own import runs as WeasyPrint wrote it."""
    if "weasyprint" in sys.modules:
        return
    if applies(ARRAY_TYPES):
        _array_types_from_items()
    if not applies(QUICK_IMPORT):
        return
    _defer_font_tools()
    if not sys.platform.startswith("linux"):
        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = _no_library_search
    try:
        # WeasyPrint prints its installation help before it raises; the real import says it again.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint  # noqa: F401 - imported for the modules it leaves in sys.modules
    except OSError:
        for name in [name for name in sys.modules if name == "weasyprint" or name.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search


# WeasyPrint 70's weasyprint/pdf/fonts.py imports, at the start, fontTools' subsetter (used only
# where HarfBuzz cannot subset) and its variable-font instancer (used only for a variable font,
# such as Source Code Pro's): 0.07 s of fontTools.varLib for a document set in static faces.
INSTANCER = "fontTools.varLib.instancer"


def _defer_font_tools() -> None:
    """Put in sys.modules a stand-in for fontTools.subset that imports the real module when one of
    its names is first asked for, and one for fontTools.varLib.instancer whose
    instantiateVariableFont (the one name WeasyPrint imports from it) does the same, and calls it.
    (importlib's LazyLoader would not do: the import system's own look at ``__spec__`` loads it.)"""
    import importlib.util
    import types

    spec = importlib.util.find_spec("fontTools.subset") if "fontTools.subset" not in sys.modules else None
    if spec is not None:
        subset = types.ModuleType("fontTools.subset", "fontTools.subset, imported when first used (engine.py)")
        # The real package's spec and path: a submodule imported meanwhile (fontTools.varLib.mutator
        # imports fontTools.subset.cff) is the one the real package finds in sys.modules later.
        subset.__spec__, subset.__path__ = spec, list(spec.submodule_search_locations or [])
        subset.__getattr__ = functools.partial(_real_attribute, "fontTools.subset", subset)  # type: ignore[attr-defined]
        sys.modules["fontTools.subset"] = subset
        sys.modules["fontTools"].subset = subset  # as an import would: ``fontTools.subset.cff`` reads it
    if INSTANCER not in sys.modules:
        instancer = types.ModuleType(INSTANCER, "fontTools.varLib.instancer, imported when first used (engine.py)")
        instancer.instantiateVariableFont = functools.partial(_real_call, instancer,  # type: ignore[attr-defined]
                                                              "instantiateVariableFont")
        sys.modules[INSTANCER] = instancer


def _real_attribute(name: str, stand_in: Any, attribute: str) -> Any:
    """An attribute of the real module ``name``, imported now in place of its stand-in."""
    if attribute.startswith("__"):  # the import system's and pickle's questions: the stand-in has no answer
        raise AttributeError(attribute)
    replacing = sys.modules.get(name) is stand_in
    if replacing:
        del sys.modules[name]
    real = importlib.import_module(name)
    if replacing:
        for key, value in vars(stand_in).items():  # a submodule imported meanwhile was set on the stand-in
            if isinstance(value, type(real)) and not hasattr(real, key):
                setattr(real, key, value)
    return getattr(real, attribute)


def _real_call(stand_in: Any, function: str, *args: Any, **kwargs: Any) -> Any:
    """A function of the real module of a stand-in, called."""
    return _real_attribute(stand_in.__name__, stand_in, function)(*args, **kwargs)


_ARRAY_TYPE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*)*)\s*\[\s*([0-9]+)\s*\]\s*")


def _array_types_from_items() -> None:
    """cffi's Parser reading a C array type of a fixed length, ``T[57]``, as an array of the type
    ``T`` (parsed once per parser) instead of parsing it: the model type cffi's own parse makes
    for it (``model.ArrayType(T, 57)`` with T's qualifiers), for this process."""
    from cffi import cparser, model

    if getattr(cparser.Parser.parse_type_and_quals, "array_types_from_items", False):
        return
    parse = cparser.Parser.parse_type_and_quals

    def parse_type_and_quals(self: Any, cdecl: str) -> Any:
        found = _ARRAY_TYPE.fullmatch(cdecl)
        if found is None:
            return parse(self, cdecl)
        items = self.__dict__.setdefault("_array_items", {})
        if found.group(1) not in items:
            items[found.group(1)] = parse(self, found.group(1))
        item, quals = items[found.group(1)]
        return model.ArrayType(item, int(found.group(2))), quals

    parse_type_and_quals.array_types_from_items = True  # type: ignore[attr-defined]
    cparser.Parser.parse_type_and_quals = parse_type_and_quals


def _no_library_search(name: str) -> None:
    """ctypes.util.find_library that finds nothing, at once."""


# Speed: pydyf's page references and Python's garbage collector, during one layout

# Python's cyclic collector during layout. Layout keeps every page's boxes alive, so the
# default collector (a collection every 700 new objects) keeps scanning a large, growing heap
# for little garbage. Everything alive before layout (modules, the document, the HTML tree)
# is frozen out of the scans, and the youngest generation is collected ten times less often:
# about 17 % faster on a 37-page document and 8 % on a 350-page one, for 5 % more peak memory
# (measured with bench/; see README, Performance). This is Python's public gc API, so it needs
# no version check.
LAYOUT_GC_THRESHOLD = (10_000, 10, 10)


@contextlib.contextmanager
def layout_tuning() -> Iterator[None]:
    """WeasyPrint with pydyf's page references cached, its target-counter() lookups indexed, the
    content that waits for page numbers settled between passes, the pseudo-element styles no box
    will use dropped, font files copied only when read and a calmer garbage collector.

    tests/test_engine.py checks that the PDF's bytes are the same with and without this.
    """
    with cached_page_references(), indexed_targets(), settled_page_content(), unused_pseudo_styles_dropped(), \
            font_files_copied_when_read(), calm_collector():
        yield


# WeasyPrint 70 copies the whole file of each font into a Python bytes object when it first draws
# text in it (``Font.__init__`` in weasyprint/pdf/fonts.py: ``self.file_content =
# get_hb_object_data(self.hb_face)``), reading every page of the file HarfBuzz has mapped. With
# HarfBuzz's subsetter, which subsets every font WeasyPrint embeds, that copy is never read: the
# subset (made from ``hb_face``) replaces it in ``Font.clean``. A CJK face is a collection of
# 19-27 MB, and the Japanese fixture draws four of them (an oblique copy of the regular among
# them): its peak was 231 MB, 99 MB without the copies. So the copy is made the first time
# ``file_content`` is read (subsetting off, HarfBuzz's subsetter failing or missing: fontTools
# then reads it), from the same face, which the Font keeps (it subsets from it).
_NOT_COPIED = object()


class _CopiedWhenRead:
    """``Font.file_content``: the face's whole data, copied from HarfBuzz when first read."""

    def __init__(self, copy: Callable[[Any], bytes | None]) -> None:
        self.copy = copy

    def __get__(self, font: Any, owner: type | None = None) -> Any:
        if font is None:
            return self
        if "file_content" not in font.__dict__:
            font.__dict__["file_content"] = self.copy(font.hb_face)
        return font.__dict__["file_content"]

    def __set__(self, font: Any, value: Any) -> None:
        if value is _NOT_COPIED:
            font.__dict__.pop("file_content", None)
        else:
            font.__dict__["file_content"] = value


@contextlib.contextmanager
def font_files_copied_when_read() -> Iterator[None]:
    """WeasyPrint's fonts with their file copied when first read, not when first drawn (see above)."""
    if not applies(FONT_FILES_WHEN_READ):
        yield
        return
    from weasyprint.pdf import fonts

    copy, original_init = fonts.get_hb_object_data, fonts.Font.__init__

    def init(font: Any, *args: Any) -> None:
        fonts.get_hb_object_data = lambda *_: _NOT_COPIED  # the one call __init__ makes: the whole file
        try:
            original_init(font, *args)
        finally:
            fonts.get_hb_object_data = copy

    fonts.Font.__init__, fonts.Font.file_content = init, _CopiedWhenRead(copy)
    try:
        yield
    finally:
        fonts.Font.__init__ = original_init
        del fonts.Font.file_content


# WeasyPrint 70's user-agent stylesheet gives every element a ::marker, two ::footnote- and three
# ::note- pseudo-elements (``::footnote-call { content: counter(footnote); ... }``, print.css
# adds its own ``::footnote-call`` rules), and the cascade computes a style for each of them,
# for every element: six of the seven styles of a document, with their declarations, kept until
# the PDF is written (and, before that, all at once during the cascade): about 190 MB of the
# 300-page report's 680 MB peak. Building the boxes (weasyprint/formatting_structure/build.py)
# asks for a ::marker only of an element whose display is a list-item, and for the other five
# only of a footnote (float: footnote) or a note (position: note()). So the cascade (StyleFor,
# weasyprint/css/__init__.py) drops each element's declarations for the others as soon as that
# element's own style is computed, which is when the first stylesheet is matched against the
# next element, and whatever is left of them (the last element's) once it is done.
PSEUDO_STYLES_ASKED = frozenset(("marker", "footnote-call", "footnote-marker", "note-call", "note-marker",
                                 "note-callback"))
_MARKER_ONLY = frozenset(("marker",))


@contextlib.contextmanager
def unused_pseudo_styles_dropped() -> Iterator[None]:
    """The cascade without the styles of the pseudo-elements no box is made of (see above)."""
    if not applies(UNUSED_PSEUDO_STYLES):
        yield
        return
    from weasyprint import css

    original = css.StyleFor
    css.StyleFor = _pruning_style_for(original)  # get_all_computed_styles makes its StyleFor by this name
    try:
        yield
    finally:
        css.StyleFor = original


@functools.cache
def _pruning_style_for(style_for: type) -> type:
    """WeasyPrint's StyleFor whose cascade drops the unused pseudo-element declarations as it goes."""

    class PruningStyleFor(style_for):  # type: ignore[valid-type, misc]
        def __init__(self, html: Any, sheets: list[Any], *rest: Any) -> None:
            self._previous_element: Any = None
            if sheets:
                sheet, *origin = sheets[0]
                sheets = [(_PruningSheet(sheet, self), *origin), *sheets[1:]]
            super().__init__(html, sheets, *rest)
            drop_unused_pseudo_styles(self._computed_styles)  # the last element's, and any left

        def about_to_match(self, element: Any) -> None:
            """Drop the previous element's unused pseudo-element declarations: its style is computed by now."""
            previous, self._previous_element = self._previous_element, element.etree_element
            if previous is None:
                return
            for kind in PSEUDO_STYLES_ASKED - pseudo_styles_asked(self._computed_styles.get((previous, None))):
                self._cascaded_styles.pop((previous, kind), None)

    return PruningStyleFor


class _PruningSheet:
    """A stylesheet as the cascade sees it, whose matcher first tells the cascade of the next element."""

    def __init__(self, sheet: Any, cascade: Any) -> None:
        self._sheet, self.matcher = sheet, _PruningMatcher(sheet.matcher, cascade)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sheet, name)


class _PruningMatcher:
    """cssselect2's Matcher of the first stylesheet, calling ``about_to_match`` before each element's match."""

    def __init__(self, matcher: Any, cascade: Any) -> None:
        self._matcher, self._cascade = matcher, cascade

    def match(self, element: Any) -> Any:
        self._cascade.about_to_match(element)
        return self._matcher.match(element)


def drop_unused_pseudo_styles(computed: dict[tuple[Any, Any], Any]) -> None:
    """Drop from WeasyPrint's computed styles, keyed (element, pseudo-element), those of a
    pseudo-element its element will not be asked for."""
    unused = [key for key in computed if key[1] in PSEUDO_STYLES_ASKED
              and key[1] not in pseudo_styles_asked(computed.get((key[0], None)))]
    for key in unused:
        del computed[key]


def pseudo_styles_asked(style: Any) -> frozenset[str]:
    """Those of PSEUDO_STYLES_ASKED whose boxes an element of this computed style gets: all of
    them for a footnote or a note (and with no style, as WeasyPrint would keep them), the
    ::marker alone for a list item, none for the rest."""
    if style is None or style["float"] == "footnote" or style["position"][0] == "note()":
        return PSEUDO_STYLES_ASKED
    return _MARKER_ONLY if "list-item" in style["display"] else frozenset()


# WeasyPrint 70 keeps a CounterLookupItem for every box whose content waits for a page counter
# (each glossary number's target-counter(), each contents line's) in one dict, and walks all of
# it twice over: once for each target as its page becomes known (TargetCollector.
# cache_target_page_counters, weasyprint/css/targets.py), looking for the items that name that
# target, and once for each waiting box of the finished pages (layout_document, weasyprint/layout/
# __init__.py), looking for the items of that box that are not 'content'. Both walks are of
# every item, so the time grows as targets times references: 19 of the 300-page report's
# seconds under a profiler when every use of a term is a target. The index finds the same items in
# the same order: the items of each target (built once the boxes are built, when no item is added
# any more: WeasyPrint adds them only while ``collecting``), and, for the second walk, the items
# that are not 'content', which is all that walk does anything with.


class _LookupItems(dict):  # type: ignore[type-arg]
    """WeasyPrint's counter_lookup_items, whose ``items()`` (called by layout_document alone) are
    the items not of the 'content' token, which are all that caller uses; kept until one is added."""

    def items(self) -> Any:
        if getattr(self, "_size", None) != len(self):
            self._size = len(self)
            self._other = [(key, item) for key, item in dict.items(self) if key[1] != "content"]
        return self._other

    def of_target(self, anchor_name: str) -> list[Any]:
        """The 'content' items that wait for the page counters of ``anchor_name``, in the dict's order."""
        if getattr(self, "_indexed", None) != len(self):
            self._indexed = len(self)
            self._targets: dict[str, list[Any]] = {}
            for (_, css_token), item in dict.items(self):
                if css_token == "content":
                    for name in item.missing_target_counters:
                        self._targets.setdefault(name, []).append(item)
        return self._targets.get(anchor_name, [])


def _cache_target_page_counters(self: Any, anchor_name: str, page_counter_values: Any, page_maker_index: int,
                                page_maker: list[Any]) -> None:
    """TargetCollector.cache_target_page_counters of WeasyPrint 70, the loop over every item
    replaced by the items of the target (the rest of it as it is there)."""
    import copy

    if self.collecting:
        return
    target = self.target_lookup_items.get(anchor_name)
    if not (target and target.state == "up-to-date"):
        return
    target.page_maker_index = page_maker_index
    if target.cached_page_counter_values == page_counter_values:
        return
    target.cached_page_counter_values = copy.deepcopy(page_counter_values)
    items = self.counter_lookup_items
    for item in items.of_target(anchor_name) if isinstance(items, _LookupItems) else []:
        missing_counters = item.missing_target_counters.get(anchor_name)
        if item.page_maker_index is None or item.page_maker_index >= len(page_maker):
            item.pending = True
            continue
        for counter_name in missing_counters:
            if page_counter_values.get(counter_name) is not None:
                page_maker[item.page_maker_index][-1]["content_changed"] = True
                item.parse_again(item.cached_page_counter_values)
                break


@contextlib.contextmanager
def indexed_targets() -> Iterator[None]:
    """WeasyPrint's target-counter() lookups through an index, for the block (see above)."""
    if not applies(TARGET_INDEX):
        yield
        return
    from weasyprint.css.targets import TargetCollector

    original_init, original_cache = TargetCollector.__init__, TargetCollector.cache_target_page_counters

    def init(self: Any) -> None:
        original_init(self)
        self.counter_lookup_items = _LookupItems()

    TargetCollector.__init__, TargetCollector.cache_target_page_counters = init, _cache_target_page_counters
    try:
        yield
    finally:
        TargetCollector.__init__, TargetCollector.cache_target_page_counters = original_init, original_cache


MakeAllPages = Callable[[Any, Any, Any, list[Any]], Iterator[Any]]


@contextlib.contextmanager
def pages_made_through(wrap: Callable[[MakeAllPages], MakeAllPages]) -> Iterator[None]:
    """WeasyPrint 70's ``make_all_pages`` (weasyprint/layout/page.py), the generator of one pass's
    pages that ``layout_document`` calls by name from weasyprint/layout/__init__.py, replaced by
    ``wrap`` of it for the block and put back afterwards. Wraps nest: each wraps what it finds."""
    from weasyprint import layout

    original = layout.make_all_pages
    layout.make_all_pages = wrap(original)
    try:
        yield
    finally:
        layout.make_all_pages = original


# WeasyPrint 70 lays out every page holding a target-counter() (each contents line's page number)
# three times. Its first pass lays the page out before the targets' pages are known and, at the
# end of that page (make_page's "local counters" step, weasyprint/layout/page.py), parses the
# content again, with zeros still, and marks the page changed. The second pass lays it out with
# those zeros and parses again, now with the targets' pages, because its counter values differ
# from the cached ones in the ``pages`` total that layout_document set between the passes; the
# third pass lays out the real numbers. Here, at the end of each pass, every such content is
# parsed again with the values of its page as the next pass will see them (the total included)
# and the targets' pages as this pass found them, and its page is marked changed if its text is
# different: the second pass lays out the real numbers, and its own end-of-page step finds
# nothing changed. A target that moves during a pass still changes the text, so the page is
# made again as often as WeasyPrint would need. Content that asks for the ``pages`` total is
# left to WeasyPrint.


@contextlib.contextmanager
def settled_page_content() -> Iterator[None]:
    """WeasyPrint's passes with page-based content parsed again at the end of each (see above)."""
    if not applies(SETTLED_CONTENT):
        yield
        return

    def settling(original: MakeAllPages) -> MakeAllPages:
        def make_all_pages(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
            made = 0
            for page in original(context, root_box, html, pages):
                made += 1
                yield page
            settle_page_content(context, made)

        return make_all_pages

    with pages_made_through(settling):
        yield


def settle_page_content(context: Any, total: int) -> None:
    """Parse every 'content' that waits for page counters again with its page's values after a
    pass of ``total`` pages; mark the page changed where the text is not what was laid out."""
    import copy

    page_maker = context.page_maker
    for (box, css_token), item in dict.items(context.target_collector.counter_lookup_items):
        index = item.page_maker_index
        if css_token != "content" or index is None or index + 1 >= len(page_maker) or wants_total(item):
            continue
        values = copy.deepcopy(page_maker[index + 1][3][1])  # the page's counters once it is made
        values["pages"] = [total]
        before = content_text(box)
        item.cached_page_counter_values = values
        item.parse_again(values)
        if content_text(box) != before:
            page_maker[index][-1]["content_changed"] = True


def wants_total(item: Any) -> bool:
    """Whether a lookup item's content prints the ``pages`` total, its own or a target's."""
    return "pages" in item.missing_counters or any("pages" in names for names in item.missing_target_counters.values())


def content_text(box: Any) -> list[str | None]:
    """The text of the boxes inside ``box``, in order (a leader's dots included)."""
    return [getattr(child, "text", None) for child in box.descendants()]


@contextlib.contextmanager
def calm_collector() -> Iterator[None]:
    """The collector tuned as LAYOUT_GC_THRESHOLD says, and put back as it was afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*LAYOUT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()  # a long-lived process (watch) collects it all again afterwards


@contextlib.contextmanager
def cached_page_references() -> Iterator[None]:
    """``pydyf.PDF.page_references`` constant-time for the length of a block (pydyf 0.13).

    pydyf rebuilds the tuple of every page's reference each time the property is read, and
    WeasyPrint reads it for every element of the PDF/UA structure tree and every link:
    quadratic in the page count, 15 % of a 350-page build. Pages are only ever appended to
    ``Kids``, so the tuple is rebuilt when its length changes and is otherwise the same value.
    pydyf's own property is put back afterwards.
    """
    if not applies(PAGE_REFERENCES):
        yield
        return
    import pydyf

    original = pydyf.PDF.__dict__["page_references"]
    pydyf.PDF.page_references = property(_page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original


def _page_references(pdf: Any) -> tuple[bytes, ...]:
    """pydyf's page references, kept on the PDF object until its page count changes."""
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_page_references")
    if cached is None or cached[0] is not kids or cached[1] != len(kids):
        cached = (kids, len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_page_references"] = cached
    return cached[2]


# Start-up: pyphen's parsed hyphenation patterns, from the cache


def preload_hyphenation(language: str) -> None:
    """Hand pyphen the parsed hyphenation patterns of a language from our on-disk cache.

    WeasyPrint asks pyphen for a dictionary the first time it hyphenates; pyphen parses the
    ``.dic`` file in Python, 0.05 s for English, in every build. The patterns are kept by
    generator/cache.py and put here into pyphen's own per-file cache (``hdcache``), as a
    dictionary object built without parsing. That object is what pyphen itself would keep
    there for the rest of the process, so, unlike the patches around a layout, it stays.
    """
    if not applies(HYPHENATION):
        return
    import pyphen

    fallback = pyphen.language_fallback(language)
    path = pyphen.LANGUAGES[fallback] if fallback else None
    if path is None or path in pyphen.hdcache:
        return
    entry = cache.hyphenation_entry(path, pyphen.__version__)
    if entry is None:
        return
    patterns = cache.read_patterns(entry)
    if patterns is None:
        parsed = pyphen.HyphDict(path)
        pyphen.hdcache[path] = parsed
        cache.write_patterns(entry, parsed.patterns)
        return
    dictionary = pyphen.HyphDict.__new__(pyphen.HyphDict)  # what HyphDict(path) sets, without the parsing
    dictionary.patterns, dictionary.cache, dictionary.maxlen = patterns, {}, max(map(len, patterns))
    pyphen.hdcache[path] = dictionary


# Correctness: WeasyPrint 70's line breaking before a trailing space


@contextlib.contextmanager
def hanging_trailing_spaces() -> Iterator[None]:
    """Lay out lines with WeasyPrint's text splitter fixed for text that ends in a space.

    On another WeasyPrint than 70.x the splitter is left alone: the bug may be gone, and the
    fix calls WeasyPrint's private line-breaking functions.
    """
    if not applies(LINE_BREAKING):
        yield
        return
    from weasyprint.layout import inline

    original = inline.split_first_line
    inline.split_first_line = fitting_with_hanging_spaces(original)
    try:
        yield
    finally:
        inline.split_first_line = original


def fitting_with_hanging_spaces(split_first_line: Callable[..., Any]) -> Callable[..., Any]:
    """``split_first_line`` that lets trailing spaces hang, as CSS Text 3 says they do.

    WeasyPrint 70 decides whether a text fits on the rest of a line by its width *with* its
    trailing space. A text run ending in a space (before an inline element such as ``<em>``
    or a link, or before the end of a block) that fits only without that space is then
    split after its first word, leaving that word alone on a line: "margin" /
    "raises quarter ... which." instead of one line. Here such a run is kept whole; the
    caller already lets the space hang past the line's end.
    """
    from math import inf

    from weasyprint.text.line_break import create_layout, first_line_metrics, line_size

    def split(text: str, style: Any, context: Any, max_width: float | None, justification_spacing: float,
              is_line_start: bool = True, minimum: bool = False) -> Any:
        collapsing = style["white_space"] in ("normal", "pre-line")
        short = max_width is not None and max_width != inf and style["font_size"] \
            and len(text) <= max_width / style["font_size"] * 4  # fewer characters than the line could hold
        if collapsing and short and text.endswith(" ") and text.strip(" ") and "\n" not in text:
            layout = create_layout(text, style, context, max_width, justification_spacing)
            line, resume_index = layout.get_first_line()
            if resume_index is None:
                width, _ = line_size(line, style)
                if width <= max_width or _fits(text.rstrip(" "), style, context, max_width, justification_spacing):
                    return first_line_metrics(line, text, layout, None, True, style)
            layout.deactivate()
        return split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)

    def _fits(text: str, style: Any, context: Any, max_width: float, justification_spacing: float) -> bool:
        layout = create_layout(text, style, context, max_width, justification_spacing)
        line, resume_index = layout.get_first_line()
        width, _ = line_size(line, style)
        layout.deactivate()
        return resume_index is None and width <= max_width

    return split


# Speed: a leader's dots as one run of text


@contextlib.contextmanager
def leaders_in_one_run() -> Iterator[None]:
    """Lay out lines with each leader's dots joined into one text box (see join_leader_dots).

    On another WeasyPrint than 70.x the leader is left alone: the function replaced is private.
    """
    if not applies(LEADER_RUNS):
        yield
        return
    from weasyprint.layout import inline

    original = inline.handle_leader
    inline.handle_leader = leader_in_one_run(original)
    try:
        yield
    finally:
        inline.handle_leader = original


def leader_in_one_run(handle_leader: Callable[[Any, Any, Any], None]) -> Callable[[Any, Any, Any], None]:
    """``handle_leader`` that runs only on lines with a leader, and then joins the leader's dots."""
    from weasyprint.layout.leader import leader_index

    def handle(context: Any, line: Any, containing_block: Any) -> None:
        index, leader = leader_index(line)
        if index is None:
            return  # WeasyPrint's function would find no leader either and change nothing
        handle_leader(context, line, containing_block)
        if containing_block.style["text_overflow"] == "clip" and containing_block.style["block_ellipsis"] == "none":
            join_leader_dots(leader)  # (an ellipsis would be fitted to one copy's width when drawn)

    return handle


def join_leader_dots(leader: Any) -> None:
    """Replace a laid-out leader's copies of one text box, side by side, by one box of their text.

    WeasyPrint places the copies from the line's end leftwards, each its text's width apart, so
    they touch: one box as wide as all of them, at the leftmost, holds the same glyphs at the same
    places, drawn as one text object and shaped once instead of once a copy. Unless the run is
    not as wide as the copies when shaped (a font that kerns "." against ".", or makes "..." a
    ligature), or spacing would fall between the copies' characters differently (letter and word
    spacing, justification): then the copies stay.
    """
    dots = leader.children
    if len(dots) < 2:
        return
    first = min(dots, key=lambda box: box.position_x)
    style = first.style
    if style["letter_spacing"] not in ("normal", 0) or style["word_spacing"] \
            or first.justification_spacing or first.pango_layout.justification_spacing:
        return
    text = first.text * len(dots)
    width = max(box.position_x + box.width for box in dots) - first.position_x
    if abs(shaped_width(text, style) - width) > LEADER_TOLERANCE:
        return
    import copy

    run = first.copy()
    run.text, run.width = text, width
    run.pango_layout = copy.copy(first.pango_layout)
    run.pango_layout.text = text  # shaped from this when the page is drawn (Layout.reactivate)
    leader.children = (run,)


LEADER_TOLERANCE = 0.01  # points: WeasyPrint's copies sit a thousandth of a point from Pango's run


def shaped_width(text: str, style: Any) -> float:
    """The width Pango gives ``text`` on one line in ``style``."""
    from weasyprint.text.line_break import create_layout, line_size

    layout = create_layout(text, style, None, None, 0)
    line, _ = layout.get_first_line()
    width, _ = line_size(line, style)
    layout.deactivate()
    return float(width)


# Progress: the page WeasyPrint is laying out, read from its log

PROGRESS_LOGGER = "weasyprint.progress"
PAGE_MESSAGE = "Step 5 - Creating layout - Page %d"


@contextlib.contextmanager
def following_pages(on_page: Callable[[int], None]) -> Iterator[None]:
    """Call ``on_page(n)`` each time WeasyPrint starts laying out page n, for the length of a block.

    WeasyPrint 70 logs PAGE_MESSAGE at INFO on its PROGRESS_LOGGER; neither the logger nor the
    message is a promise, so on another release pages are not counted. During the block the
    logger's INFO records are ours alone, not the root logger's; its level, propagation and
    handlers are put back afterwards.
    """
    if not applies(PAGE_PROGRESS):
        yield
        return
    handler = _PageHandler(on_page)
    logger = logging.getLogger(PROGRESS_LOGGER)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


class _PageHandler(logging.Handler):
    """Turns WeasyPrint's 'Creating layout - Page N' log records into calls of on_page(N)."""

    def __init__(self, on_page: Callable[[int], None]) -> None:
        super().__init__(logging.INFO)
        self.on_page = on_page

    def emit(self, record: logging.LogRecord) -> None:
        """Count a page when WeasyPrint starts laying one out; ignore its other records."""
        if record.msg == PAGE_MESSAGE and record.args:
            self.on_page(int(record.args[0]))  # type: ignore[index]


# The pages as WeasyPrint lays them out, and the inline boxes not laid out yet


class PageWatcher:
    """Told of each page as WeasyPrint makes it (see :func:`watched_pages`)."""

    def before_page(self, root_box: Any) -> None:
        """Called before each page is laid out, with the document's box tree."""

    def after_page(self, number: int, anchors: list[str]) -> None:
        """Called after page ``number`` (from 1) is laid out or taken unchanged from the last pass,
        with the anchors (ids) it holds, in the order of its boxes."""


@contextlib.contextmanager
def watched_pages(watcher: PageWatcher) -> Iterator[bool]:
    """Tell ``watcher`` of each page WeasyPrint makes during the block; yields whether it will.

    WeasyPrint 70's ``make_all_pages`` (:func:`pages_made_through`) lays a page out only when asked
    for the next, once per pass: between two pages the boxes still to be laid out can be changed,
    and what is laid out after follows the change. A pass starts again at the first page.
    """
    if not applies(PAGES_AS_LAID_OUT):
        yield False
        return

    def watching(original: MakeAllPages) -> MakeAllPages:
        def make_all_pages(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
            made = original(context, root_box, html, pages)
            number = 0
            uses = UsePositions()
            while True:
                watcher.before_page(root_box)
                page = next(made, None)
                if page is None:
                    return
                number += 1
                boxes = list(page.descendants(placeholders=True))  # walked once for the ids and the marked uses
                anchors = [box.style["anchor"] for box in boxes if box.style["anchor"]]
                watcher.after_page(number, anchors + uses.on_page(number, boxes))
                yield page

        return make_all_pages

    with pages_made_through(watching):
        yield True


# A use of a term the glossary does not link from has no element of its own in the print HTML:
# a span around each split its paragraph's text into more boxes for WeasyPrint to lay out (about a
# tenth of a report's build). Its page is found from the text instead. The element holding the
# use's text (a ``p``, an ``em``, a footnote) carries ``data-uses="ANCHOR@OFFSET ..."``, OFFSET
# counting the characters of that element's own text (its text and its children's tails) before
# the use, as :func:`position_text` keeps them; WeasyPrint makes that text into text boxes whose
# ``element`` is the element, split across lines and pages in order. Walking a page's text boxes
# in order, each one's text is matched against the element's text at the place reached so far, so
# the page holding each use's first character is known. What WeasyPrint changes in a text box is
# folded away: white space (collapsed, dropped at line ends), case (``text-transform``), soft
# hyphens, and the hyphen it adds where it hyphenates a word (``hyphenate-character``). Anything
# else (generated text in the element's own boxes, ``::first-letter``, full-width transforms) makes
# the text not match, and :attr:`UsePositions.failed` says so: the writer then lays the document
# out with a span around each use (generator/writers/pdf.py).
USES_ATTRIBUTE = "data-uses"


# Every character str.isspace() is true of (tests/test_engine.py checks the list), and the soft hyphen.
_NOT_COUNTED = dict.fromkeys([*range(0x9, 0xE), *range(0x1C, 0x21), 0x85, 0xA0, 0xAD, 0x1680, *range(0x2000, 0x200B),
                              0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


def position_text(text: str) -> str:
    """Text as use offsets count it: case folded, without white space or soft hyphens."""
    return text.casefold().translate(_NOT_COUNTED)


class UsePositions:
    """The page and text box of each use marked by ``data-uses``, as WeasyPrint's pages are made (see above)."""

    def __init__(self) -> None:
        self.placed: dict[str, tuple[int, Any]] = {}  # anchor → (page from 1, the text box of its first character)
        self.failed = False
        self._texts: dict[int, _ElementText] = {}  # by id() of WeasyPrint's element (kept alive by the entry)

    def on_page(self, number: int, boxes: Iterable[Any]) -> list[str]:
        """The anchors of the uses first seen on page ``number`` (the boxes of its page box, in
        order); page 1 starts anew (a pass of WeasyPrint's lays the pages out again from the first)."""
        from weasyprint.formatting_structure.boxes import TextBox

        if number == 1:
            self.placed, self._texts, self.failed = {}, {}, False
        found: list[str] = []
        for box in boxes:
            if not isinstance(box, TextBox):
                continue
            element = box.element
            marks = element.get(USES_ATTRIBUTE) if element is not None and hasattr(element, "get") else None
            if not marks or "::" in (box.element_tag or ""):  # generated text: ::marker, ::before
                continue
            text = self._texts.get(id(element))
            if text is None:
                text = self._texts[id(element)] = _ElementText(element, marks)
            for anchor in text.advance(box.text, box.style["hyphenate_character"]):
                if anchor not in self.placed:
                    self.placed[anchor] = (number, box)
                    found.append(anchor)
            self.failed = self.failed or text.failed
        return found

    def on_pages(self, pages: list[Any]) -> UsePositions:
        """Every marked use of a laid-out document's pages (WeasyPrint's Page objects)."""
        for number, page in enumerate(pages, start=1):
            self.on_page(number, page._page_box.descendants(placeholders=True))
        return self

    def anchored(self, pages: list[Any], wanted: frozenset[str]) -> None:
        """Make each wanted use an anchor of its page (``Page.anchors``, which write_pdf makes
        destinations of and resolves links to), at its text box, as an element's id would be."""
        for anchor in sorted(wanted & self.placed.keys()):
            number, box = self.placed[anchor]
            x, y, width, height = box.hit_area()
            pages[number - 1].anchors.setdefault(anchor, (x, y, x + width, y + height))


class _ElementText:
    """One element's own text and its marked uses, matched against its text boxes in order."""

    def __init__(self, element: Any, marks: str) -> None:
        self.element = element
        self.text = position_text("".join([element.text or "", *(child.tail or "" for child in element)]))
        self.uses = sorted((int(offset), anchor) for anchor, offset in (mark.rsplit("@", 1) for mark in marks.split()))
        self.reached = 0  # characters of self.text matched so far
        self.next = 0  # the first use not yet found
        self.failed = False

    def advance(self, box_text: str, hyphen: str) -> list[str]:
        """The uses whose first character is in this text box; ``failed`` if its text is not what comes next."""
        if self.reached >= len(self.text) or self.failed:
            return []  # all seen: a repeat (a table's header row on its next page)
        piece, added = position_text(box_text), position_text(hyphen or "")
        if not self.text.startswith(piece, self.reached):
            if not (added and piece.endswith(added) and self.text.startswith(piece[:-len(added)], self.reached)):
                self.failed = True
                return []
            piece = piece[:-len(added)]
        self.reached += len(piece)
        found = []
        while self.next < len(self.uses) and self.uses[self.next][0] < self.reached:
            found.append(self.uses[self.next][1])
            self.next += 1
        return found


def boxes_in(root_box: Any, anchor: str, class_name: str) -> list[Any]:
    """The boxes of the elements of class ``class_name`` inside the box of the element whose id
    is ``anchor``, in document order; none when no box has that id."""
    from weasyprint.formatting_structure import boxes

    found = _box_of_anchor(root_box, anchor)
    if found is None:
        return []
    return [box for box in found.descendants() if isinstance(box, boxes.ParentBox) and box.element is not None
            and class_name in (box.element.get("class") or "").split()
            and not box.element_tag.endswith(("::before", "::after", "::marker"))]


def _box_of_anchor(box: Any, anchor: str) -> Any:
    """The first box, depth first, whose element has the id ``anchor``; block boxes only are
    searched (an id on a section is not inside a line)."""
    from weasyprint.formatting_structure.boxes import BlockContainerBox

    pending = [box]
    while pending:
        box = pending.pop()
        if box.style["anchor"] == anchor:
            return box
        pending.extend(reversed([child for child in getattr(box, "children", ()) if isinstance(child, BlockContainerBox)]))
    return None


def inline_parts(box: Any) -> list[tuple[str, str]]:
    """An inline box's children as (kind, value): ``("text", text)`` for text, ``("href", url)``
    for a link, ``("class", classes)`` for another element."""
    from weasyprint.formatting_structure import boxes

    parts = []
    for child in box.children:
        if isinstance(child, boxes.TextBox):
            parts.append(("text", child.text))
        elif child.element is not None and child.element.get("href") is not None:
            parts.append(("href", child.element.get("href")))
        else:
            parts.append(("class", (child.element.get("class") or "") if child.element is not None else ""))
    return parts


def rearrange_inline(box: Any, children: list[Any], order: list[int | str], texts: dict[int, str]) -> None:
    """Make ``box``'s children those of ``children`` (its children as first built) at the indexes
    ``order`` names, in that order; a string in ``order`` is a new text, styled as the box's
    first text child is. ``texts``: for some of those children (by index), the text their one
    text child now holds."""
    from weasyprint.formatting_structure import boxes

    text = next(child for child in children if isinstance(child, boxes.TextBox)) if str in map(type, order) else None
    for index, new_text in texts.items():
        inner = children[index].children[0]
        if inner.text != new_text:
            children[index].children = [inner.copy_with_text(new_text)]
    box.children = [children[item] if isinstance(item, int) else text.copy_with_text(item) for item in order]


# Characters drawn as .notdef: WeasyPrint's warning while it writes the PDF

WEASYPRINT_LOGGER = "weasyprint"
# WeasyPrint 70's draw/text.py logs this, with the character and its code, for each glyph that
# Pango found in no font, then draws .notdef: the warning is the only trace of it.
NOTDEF_MESSAGE = ".notdef glyph rendered for Unicode string unsupported by fonts: "


@contextlib.contextmanager
def missing_glyphs() -> Iterator[set[str]]:
    """The characters WeasyPrint draws as .notdef while the block runs (filled in as it draws).

    On another release the set stays empty, after the warning that the check is skipped.
    """
    found: set[str] = set()
    if not applies(MISSING_GLYPHS):
        yield found
        return
    handler = _NotdefHandler(found)
    logger = logging.getLogger(WEASYPRINT_LOGGER)
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)


class _NotdefHandler(logging.Handler):
    """Collects the character of each .notdef warning (its first argument) into a set."""

    def __init__(self, found: set[str]) -> None:
        super().__init__(logging.WARNING)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(NOTDEF_MESSAGE) and record.args:
            self.found.add(str(record.args[0]))  # type: ignore[index]


# The EPUB: the publication's language on ebooklib's package element

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTAINER = "META-INF/container.xml"
CONTAINER_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container"}


class PackageWriter:
    """ebooklib's EPUB writer, with the publication's language declared on ``<package>`` too.

    ebooklib writes ``dc:language`` but no ``xml:lang`` on the package element, which gives
    the language of the package document's own text (title, description). With ebooklib 0.20 the
    attribute is set just before ebooklib serialises the element, by giving this one writer
    its own ``_write_opf_file`` (a private method; ebooklib's class is left as it is). On
    another release the finished zip's package document is rewritten instead, with zipfile and
    lxml only: one more parse, the same bytes (tests/test_engine.py compares them).
    """

    def __init__(self, target: io.BytesIO, book: Any, language: str, options: dict[str, Any]) -> None:
        from ebooklib import epub

        self.target = target
        self.language = language
        self.writer = epub.EpubWriter(target, book, options)
        self.in_place = applies(PACKAGE_LANGUAGE)
        if self.in_place:  # an attribute of this object only, gone with it
            self.writer._write_opf_file = functools.partial(_write_opf_with_language, self.writer, language)

    def process(self) -> None:
        """ebooklib's preparation of the book's navigation items."""
        self.writer.process()

    def write(self) -> None:
        """Write the EPUB's zip into the target; an error propagates."""
        self.writer.write()
        if not self.in_place:
            data = with_package_language(self.target.getvalue(), self.language)
            self.target.seek(0)
            self.target.truncate()
            self.target.write(data)


def _write_opf_with_language(writer: Any, language: str, root: Any) -> None:
    """ebooklib 0.20's ``_write_opf_file``, with ``xml:lang`` set on the package element first."""
    root.set(XML_LANG, language)
    type(writer)._write_opf_file(writer, root)


def with_package_language(epub: bytes, language: str) -> bytes:
    """An EPUB's zip with ``xml:lang`` on its package document's root, every entry kept in order.

    The package document is found through ``META-INF/container.xml`` and serialised as ebooklib
    0.20 serialises it (pretty-printed UTF-8 with an XML declaration).
    """
    from lxml import etree

    source = zipfile.ZipFile(io.BytesIO(epub))
    path = etree.fromstring(source.read(CONTAINER)).find("c:rootfiles/c:rootfile", CONTAINER_NS).get("full-path")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == path:
                root = etree.fromstring(content)
                root.set(XML_LANG, language)
                content = etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=True)
            target.writestr(info, content)
    return out.getvalue()


# The licence in the PDF's XMP metadata

XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"


def licence_in_xmp(metadata: Any, rights: str, web_statement: str) -> None:
    """Name the licence in the XMP packet WeasyPrint 70 writes for ``metadata`` (one document's
    ``DocumentMetadata``): ``dc:rights`` (a language alternative), ``xmpRights:WebStatement``
    (the licence's address) and ``xmpRights:Marked`` True, in one more ``rdf:Description`` of
    WeasyPrint's own ``rdf:RDF``.

    WeasyPrint's public ``xmp_metadata`` would add a second ``rdf:RDF`` beside its own, which
    XMP does not allow; so this wraps the instance's ``generate_rdf_metadata``, the method that
    serialises the RDF, and adds the description to its tree before it is serialised again
    (with the same ElementTree and namespace prefixes: the bytes stay the same from build to build).
    Nothing is added when ``rights`` is empty (a document without ``licence:``).
    """
    if not applies(LICENCE_XMP) or not rights:  # asked of every PDF, so that another release is always reported
        return
    from xml.etree import ElementTree

    from weasyprint.pdf.metadata import NS

    ElementTree.register_namespace("xmpRights", XMP_RIGHTS)
    original = metadata.generate_rdf_metadata

    def generate_rdf_metadata(*args: Any, **kwargs: Any) -> bytes:
        rdf = ElementTree.fromstring(original(*args, **kwargs))
        description = ElementTree.SubElement(rdf, f"{{{NS['rdf']}}}Description", {f"{{{NS['rdf']}}}about": ""})
        alternative = ElementTree.SubElement(ElementTree.SubElement(description, f"{{{NS['dc']}}}rights"),
                                             f"{{{NS['rdf']}}}Alt")
        item = ElementTree.SubElement(alternative, f"{{{NS['rdf']}}}li",
                                      {"{http://www.w3.org/XML/1998/namespace}lang": "x-default"})
        item.text = rights
        ElementTree.SubElement(description, f"{{{XMP_RIGHTS}}}Marked").text = "True"
        ElementTree.SubElement(description, f"{{{XMP_RIGHTS}}}WebStatement").text = web_statement
        return ElementTree.tostring(rdf, encoding="utf-8")

    metadata.generate_rdf_metadata = generate_rdf_metadata


# The print-shop variant: PDF/X-4 with reproducible bytes, and every colour in CMYK


@contextlib.contextmanager
def fixed_document_id(seed: bytes) -> Iterator[None]:
    """PDF/X-4's XMP ``xmpMM:DocumentID`` derived from ``seed`` instead of ``uuid4()`` (WeasyPrint 70).

    WeasyPrint writes a random DocumentID into a PDF/X-4's metadata, and pydyf's file
    identifier hashes that metadata, so two builds of the same sources would differ in two
    places. The same seed gives the same identifier; ``uuid4`` is put back afterwards.
    """
    if not applies(PRINT_DOCUMENT_ID):
        yield
        return
    from weasyprint.pdf import metadata

    original = metadata.uuid4
    metadata.uuid4 = lambda: uuid.UUID(bytes=hashlib.md5(seed).digest(), version=4)
    try:
        yield
    finally:
        metadata.uuid4 = original


@contextlib.contextmanager
def cmyk_colours() -> Iterator[None]:
    """Every RGB colour WeasyPrint 70 draws (text, rules, tints, SVG) set in DeviceCMYK instead.

    The stylesheet gives the print variant's own colours in ``device-cmyk()``; this catches the
    rest (a theme's ``#a3242e``, code highlighting, the QR code), so that no text reaches the
    press as RGB, for the RIP to turn into four-colour black. ``Stream.set_color`` is put back
    afterwards. Pictures keep their own colour spaces.
    """
    if not applies(CMYK_COLOURS):
        yield
        return
    from weasyprint.pdf.stream import Stream

    original = Stream.set_color

    def set_color(self: Any, color: Any, stroke: bool = False) -> Any:
        return original(self, as_device_cmyk(color), stroke)

    Stream.set_color = set_color
    try:
        yield
    finally:
        Stream.set_color = original


RGB_SPACES = frozenset({"srgb", "hsl", "hwb"})


def as_device_cmyk(color: Any) -> Any:
    """A tinycss2 colour in sRGB, HSL or HWB as the same colour in ``device-cmyk``; others unchanged."""
    if color.space not in RGB_SPACES:
        return color
    from tinycss2.color5 import Color

    red, green, blue = color.to("srgb").coordinates
    return Color("device-cmyk", rgb_to_cmyk(red, green, blue), color.alpha)


def rgb_to_cmyk(red: float, green: float, blue: float) -> tuple[float, float, float, float]:
    """The naive conversion (channels 0 to 1), rounded to 4 places. A grey is black ink alone, so
    that grey text and rules print from one plate, never in register across four."""
    clamp = [min(1.0, max(0.0, channel)) for channel in (red, green, blue)]
    black = 1 - max(clamp)
    if max(clamp) - min(clamp) < 1 / 255 or black >= 1:
        return (0.0, 0.0, 0.0, round(black, 4))
    cyan, magenta, yellow = ((1 - channel - black) / (1 - black) for channel in clamp)
    return (round(cyan, 4), round(magenta, 4), round(yellow, 4), round(black, 4))


# Accessibility: footnotes and tables in WeasyPrint 70's structure tree


@contextlib.contextmanager
def notes_and_whole_tables() -> Iterator[None]:
    """Tag the PDF written during the block with each footnote a ``Note`` beside its call and
    each table one ``Table``, however many pages it runs over.

    WeasyPrint 70 builds the structure tree page by page (``_build_box_tree`` in
    ``weasyprint/pdf/tags.py``, which calls itself through its module): a footnote is a
    ``Span`` in the page's footnote area, far from its call, and a table split by a page break
    is a new ``Table`` on each page, its header row (repeated by ``thead``) tagged again each
    time. Only that function still knows which box is a footnote and which HTML element a
    box comes from, so the fix wraps it for the block and puts it back afterwards. A
    repeated header row is left out of the tree, so generator/writers/pdf_tags.py makes it a
    pagination artifact.
    """
    if not applies(NOTES_AND_TABLES):
        yield
        return
    from weasyprint.pdf import tags

    original = tags._build_box_tree
    tags._build_box_tree = _TreeBuilder(original).build
    try:
        yield
    finally:
        tags._build_box_tree = original


# The structure type WeasyPrint 70 gives each part of a table, by HTML tag.
TABLE_PARTS = {"table": "/Table", "thead": "/THead", "tbody": "/TBody", "tfoot": "/TFoot", "tr": "/TR",
               "th": "/TH", "td": "/TD"}
REPEATED_PARTS = frozenset({"/THead", "/TFoot"})  # drawn again on every page a table runs over
ROW_SCOPES = frozenset({"row", "rowgroup"})  # WeasyPrint 70 takes these as row headers, any other th as a column's


class _TreeBuilder:
    """WeasyPrint 70's ``_build_box_tree`` with footnotes as Notes and split tables joined.

    One instance lives for one PDF: it remembers each footnote's call, each Note, and the
    first element of every table part, by HTML element, across the pages.
    """

    def __init__(self, build_box_tree: Callable[..., Iterator[Any]]) -> None:
        self.original = build_box_tree
        self.calls: dict[Any, tuple[Any, Any]] = {}  # footnote's HTML element -> (call's parent, call)
        self.notes: dict[Any, Any] = {}  # footnote's HTML element -> its Note
        self.tables: dict[Any, Any] = {}  # table's HTML element -> its first Table
        self.html: dict[int, Any] = {}  # a table part's object number -> its HTML element

    def build(self, box: Any, parent: Any, pdf: Any, page: int, nums: Any, annotations: Any,
              tags: Any) -> Iterator[Any]:
        """The elements of ``box``, as WeasyPrint's function yields them, fixed."""
        from weasyprint.formatting_structure.boxes import FootnoteAreaBox, LineBox

        if isinstance(box, FootnoteAreaBox) and not any(isinstance(c, LineBox) for c in box.children):
            yield from self.footnote_area(box, parent, pdf, page, nums, annotations, tags)
            return
        for element in self.original(box, parent, pdf, page, nums, annotations, tags):
            lift_text_spans(element, pdf, nums)
            if self.kept(box, element, pdf):
                yield element

    def kept(self, box: Any, element: Any, pdf: Any) -> bool:
        """Fix the element made for ``box``; False when it continues a table already in the tree."""
        tag = box.element_tag or ""
        if tag.endswith("::footnote-call") and element["S"] == "/NonStruct":
            element["S"] = "/Reference"
            self.calls[box.element] = (referenced(pdf, element["P"]), element)
        elif tag.endswith("::footnote-marker") and element["S"] == "/NonStruct":
            element["S"] = "/Lbl"
        elif TABLE_PARTS.get(tag) == element["S"]:
            self.html[element.number] = box.element
            if tag == "th":
                scope = box.element.get("scope", "").lower()
                element["A"]["Scope"] = "/Row" if scope in ROW_SCOPES else "/Column"
            elif tag == "table":
                first = self.tables.setdefault(box.element, element)
                if first is not element:
                    self.join_table(first, element, pdf)
                    return False
        return True

    def footnote_area(self, area: Any, parent: Any, pdf: Any, page: int, nums: Any, annotations: Any,
                      tags: Any) -> Iterator[Any]:
        """Each footnote of a page's footnote area as a ``Note`` just after its call, its marker the ``Lbl``.

        The area itself (a ``NonStruct`` of no text of its own) is left out.
        """
        for footnote in area.children:
            call = self.calls.get(footnote.element)
            if call is None:  # no call seen: the note stays where WeasyPrint puts it
                yield from self.build(footnote, parent, pdf, page, nums, annotations, tags)
                continue
            host, reference = call
            for element in self.build(footnote, host, pdf, page, nums, annotations, tags):
                first = self.notes.setdefault(footnote.element, element)
                if first is element:
                    element["S"] = "/Note"
                    element["ID"] = _pdf_string(self.note_id(footnote.element))
                    host["K"].insert(host["K"].index(reference.reference) + 1, element.reference)
                else:  # the rest of a note that did not fit on its page
                    self.adopt(first, element, pdf)

    def note_id(self, html: Any) -> str:
        """The note's HTML id (``fn-ch1-1``), or ``note-n`` for a note without one (a web link's address)."""
        used = {str(note["ID"].string) for note in self.notes.values() if "ID" in note}
        wanted = html.get("id") or f"note-{len(self.notes)}"
        return wanted if wanted not in used else f"{wanted}-{len(self.notes)}"

    def join_table(self, first: Any, later: Any, pdf: Any) -> None:
        """Give the page's part of a table to its first ``Table``: header rows drawn again are left
        out and the cells that named them name the first ones; a row group or row cut by the
        page break goes on in the same element."""
        renamed: dict[str, Any] = {}
        for part in structure_kids(later, pdf):
            original = self.drawn_before(part, first, pdf)
            if original is not None:
                renamed.update(zip((str(th["ID"].string) for th in _headers(part, pdf)),
                                   (th["ID"] for th in _headers(original, pdf))))
        for cell in _descendants(later, pdf):
            if cell["S"] == "/TD" and "Headers" in cell["A"]:
                cell["A"]["Headers"] = pdf_array([renamed.get(str(h.string), h) for h in cell["A"]["Headers"]])
        self.adopt(first, later, pdf, repeats=True)

    def drawn_before(self, part: Any, first: Any, pdf: Any) -> Any | None:
        """The header or footer row group of ``first`` that ``part`` draws again, if it is one."""
        if part["S"] not in REPEATED_PARTS:
            return None
        return next((f for f in structure_kids(first, pdf) if self.html.get(f.number) is self.html.get(part.number)), None)

    def adopt(self, first: Any, later: Any, pdf: Any, repeats: bool = False) -> None:
        """Move ``later``'s kids into ``first`` (the same HTML element, cut by a page break), in order;
        with ``repeats``, leave out the row groups ``first`` already has (a table's repeated header)."""
        for kid in list(later["K"]):
            obj = referenced(pdf, kid) if isinstance(kid, bytes) else None
            if obj is None:  # marked content straight in the element: referenced with its page
                first["K"].append(marked_reference(kid, later["Pg"]))
            elif obj.get("Type") != "/StructElem":
                first["K"].append(kid)
            elif repeats and self.drawn_before(obj, first, pdf) is not None:
                continue  # out of the tree, so pdf_tags.py makes it an artifact
            elif (last := next(reversed(list(structure_kids(first, pdf))), None)) is not None \
                    and obj.number in self.html and self.html.get(last.number) is self.html[obj.number]:
                self.adopt(last, obj, pdf)  # a row group or row cut by the page break
            else:
                obj["P"] = first.reference
                first["K"].append(kid)


def lift_text_spans(element: Any, pdf: Any, nums: Any) -> None:
    """Put the marked content of each text box straight into its element, as WeasyPrint already
    does in a ``Link``, instead of in a ``Span`` of its own.

    WeasyPrint 70 gives every text box it draws (every line of every paragraph, every token of
    highlighted code) a ``Span`` that holds nothing but its one marked-content id: 80 % of the
    structure elements of a technical book (26,821 of 33,402), each an object to write, parse and
    pack. A ``Span`` says nothing a reader uses, and an element may hold marked content itself
    (ISO 32000-1, 14.7.2). Each such ``Span`` is emptied (it is then in no element's ``/K`` and
    the packer leaves it out of the PDF), and the parent tree names the element instead.
    """
    kept = []
    lifted = False
    for kid in element["K"]:
        span = referenced(pdf, kid) if isinstance(kid, bytes) else None
        if span is not None and _text_span(span, element):
            mcid = span["K"][0]
            kept.append(mcid)
            nums[mcid] = element.reference
            span.clear()
            lifted = True
        else:
            kept.append(kid)
    if lifted:
        element["K"] = pdf_array(kept)


def _text_span(candidate: Any, element: Any) -> bool:
    """Whether a kid of ``element`` is the ``Span`` WeasyPrint made for one text box: its only kid is
    one marked-content id."""
    kids = candidate.get("K") if isinstance(candidate, dict) else None
    return (candidate.get("Type") == "/StructElem" and candidate.get("S") == "/Span"
            and candidate.get("P") == element.reference and kids is not None and len(kids) == 1
            and isinstance(kids[0], int))


# pydyf's objects, as WeasyPrint 70 builds the structure tree with them (here) and pdf_tags.py
# repairs it: a reference is ``b"12 0 R"``, a marked-content id in a ``K`` array an int.

def _number(reference: bytes) -> int:
    """The object number of a pydyf reference (``b"12 0 R"``)."""
    return int(reference.split()[0])


def referenced(pdf: Any, reference: bytes) -> Any:
    """The object of a pydyf PDF a reference names."""
    return pdf.objects[_number(reference)]


def structure_kids(element: Any, pdf: Any) -> Iterator[Any]:
    """The structure elements among a pydyf element's kids."""
    for kid in element["K"]:
        if isinstance(kid, bytes):
            obj = referenced(pdf, kid)
            if obj.get("Type") == "/StructElem":
                yield obj


def _descendants(element: Any, pdf: Any) -> Iterator[Any]:
    """Every structure element under a pydyf element."""
    for kid in structure_kids(element, pdf):
        yield kid
        yield from _descendants(kid, pdf)


def _headers(part: Any, pdf: Any) -> list[Any]:
    """The header cells of a row group, in order."""
    return [cell for cell in _descendants(part, pdf) if cell["S"] == "/TH"]


def _pdf_string(text: str) -> Any:
    """A pydyf string."""
    import pydyf

    return pydyf.String(text)


def pdf_array(items: Any) -> Any:
    """A pydyf array of ``items``."""
    import pydyf

    return pydyf.Array(items)


def marked_reference(mcid: int, page: Any) -> Any:
    """A pydyf ``/MCR`` for marked content of another page than its element's."""
    import pydyf

    return pydyf.Dictionary({"Type": "/MCR", "Pg": page, "MCID": mcid})


# citeproc-py: two CSL rules it breaks

SORT_MARKUP = re.compile(r"<[^>]+>")  # citeproc-py's HTML in a rendered key: <i>, <b>
SORT_OPENING = re.compile(r"^[\W_]+")  # the quotes or brackets a key then opens with


@contextlib.contextmanager
def citeproc_fixes() -> Iterator[None]:
    """citeproc-py 0.11 made to follow three CSL 1.0.1 rules while the block runs.

    ``initialize="false"`` on a name (Chicago's bibliography) keeps given names whole, where
    citeproc-py initialises them whenever the style sets ``initialize-with``; a sort key
    rendered from a macro is compared as text, without the HTML markup and the opening
    quotation mark citeproc-py leaves in it (so "“Sherman Act”" no longer sorts after "Smith");
    and a variable a ``<substitute>`` prints in place of a missing author (the title, through a
    macro) is not printed again in the entry, where citeproc-py suppresses only a variable named
    on the substitute's child itself ("“Inquiry Page.” 2022. “Inquiry Page.”" becomes
    "“Inquiry Page.” 2022."). Every method is put back afterwards.
    """
    if not applies(CITEPROC_FIXES):
        yield
        return
    from citeproc import model

    originals = {(model.Name, "initialize"): model.Name.initialize, (model.Key, "sort_keys"): model.Key.sort_keys,
                 (model.Text, "_variable"): model.Text._variable, (model.Substitute, "render"): model.Substitute.render,
                 (model.Substitute, "add_to_repressed_list"): model.Substitute.add_to_repressed_list}
    substituted: list[set[tuple[str, str]]] = []  # per substitute being rendered: the (tag, variable) it printed
    model.Name.initialize = _whole_given_names(model.Name.initialize)
    model.Key.sort_keys = _plain_sort_keys(model.Key.sort_keys)
    model.Text._variable = _noting_variables(model.Text._variable, substituted)
    model.Substitute.render = _collecting_substitute(model.Substitute.render, substituted)
    model.Substitute.add_to_repressed_list = _suppressing_printed(model.Substitute.add_to_repressed_list, substituted)
    try:
        yield
    finally:
        for (owner, name), method in originals.items():
            setattr(owner, name, method)


def _whole_given_names(initialize: Callable[..., Any]) -> Callable[..., Any]:
    """citeproc-py's ``Name.initialize``, which leaves the given name alone under ``initialize="false"``."""
    @functools.wraps(initialize)
    def wrapped(name: Any, given: str, mark: str, context: Any) -> str:
        if str(name.get("initialize", "true")).lower() == "false":
            return given
        return initialize(name, given, mark, context)
    return wrapped


def _plain_sort_keys(sort_keys: Callable[..., Any]) -> Callable[..., Any]:
    """citeproc-py's ``Key.sort_keys`` with each text key stripped of markup and opening punctuation."""
    @functools.wraps(sort_keys)
    def wrapped(key: Any, items: Any, context: Any) -> list[Any]:
        return [k if k is None or isinstance(k, (int, float)) else SORT_OPENING.sub("", SORT_MARKUP.sub("", str(k)))
                for k in sort_keys(key, items, context)]
    return wrapped


def _noting_variables(variable: Callable[..., Any], substituted: list[set[tuple[str, str]]]) -> Callable[..., Any]:
    """citeproc-py's ``Text._variable``, noting each variable it prints inside a substitute."""
    @functools.wraps(variable)
    def wrapped(text: Any, item: Any, context: Any) -> Any:
        value = variable(text, item, context)
        if value and substituted:
            substituted[-1].add((text.tag, text.get("variable")))
        return value
    return wrapped


def _collecting_substitute(render: Callable[..., Any], substituted: list[set[tuple[str, str]]]) -> Callable[..., Any]:
    """citeproc-py's ``Substitute.render``, with a fresh set for the variables its children print."""
    @functools.wraps(render)
    def wrapped(substitute: Any, item: Any, context: Any = None, **kwargs: Any) -> Any:
        substituted.append(set())
        try:
            return render(substitute, item, context=context, **kwargs)
        finally:
            substituted.pop()
    return wrapped


def _suppressing_printed(add: Callable[..., Any], substituted: list[set[tuple[str, str]]]) -> Callable[..., Any]:
    """citeproc-py's ``Substitute.add_to_repressed_list``, which also suppresses every variable the
    chosen child printed (through a macro too) for the rest of the entry."""
    @functools.wraps(add)
    def wrapped(substitute: Any, child: Any, context: Any) -> None:
        add(substitute, child, context)
        repressed = context.get_layout().repressed
        for tag, variable in substituted[-1] if substituted else ():
            repressed.setdefault(tag, []).append(variable)
    return wrapped
