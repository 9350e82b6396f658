"""The last check before an output is written: the web page and the EPUB run no code and fetch nothing.

A document's own templates (``templates/web/document.html``, ``templates/epub/epub.css``...) can
write any markup. Whatever they write, the rendered web page and every content document and
stylesheet of the EPUB must hold no script (no ``<script>``, no event handler, no
``javascript:`` link, no CSS ``expression()``), embed no frame or object, and load nothing from
outside the file: in the web page every picture, stylesheet and font is a ``data:`` URI; in the
EPUB, a file of the book. Links may go to the web (http, https, mailto) and, in the EPUB, to the
book's own files. A breach is a source error at the template (and line) that wrote it.

The web page also carries a Content-Security-Policy that lets the browser enforce the same
(no script, nothing loaded but ``data:``): it is put right after the page's ``<head>``, which
must open the page, so the browser applies it before anything a template wrote. The page is
parsed as browsers parse HTML (tinyhtml5, the HTML standard's algorithm) when the document has
its own templates; the project's own templates are checked with lxml's faster parser.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2

from generator.errors import Problem, SourceError

POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
          "form-action 'none'; base-uri 'none'")
POLICY_META = f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
NO_PREFETCH_META = '<meta http-equiv="x-dns-prefetch-control" content="off">'
# The page must open with these three tags, nothing between them but spaces, no '<' or '>' in an
# attribute value: then the policy written after <head> is the head's first element for every parser.
PAGE_START = re.compile(r'\A\ufeff?\s*<!doctype html>\s*<html(?:\s+[\w:-]+(?:="[^"<>]*")?)*\s*>\s*'
                        r'<head(?:\s+[\w:-]+(?:="[^"<>]*")?)*\s*>', re.IGNORECASE)

SCRIPT_ELEMENTS = frozenset({"script", "handler", "listener"})
EMBEDDING_ELEMENTS = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base"})
# Parsed differently by browsers with scripting on, or raw text only to some parsers: a place to hide markup.
AMBIGUOUS_ELEMENTS = frozenset({"noscript", "noembed", "noframes", "template", "xmp", "plaintext"})
NAVIGATION_ELEMENTS = frozenset({"a", "area"})
RESOURCE_ATTRIBUTES = frozenset({"src", "srcset", "imagesrcset", "poster", "data", "background", "lowsrc",
                                 "dynsrc", "manifest", "codebase", "archive", "action", "formaction", "ping", "icon"})
HTTP_EQUIV_ALLOWED = frozenset({"content-type", "content-security-policy", "x-dns-prefetch-control"})
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
URL_FUNCTIONS = frozenset({"url", "src"})
IMAGE_FUNCTIONS = frozenset({"image-set", "-webkit-image-set", "image", "cross-fade", "-webkit-cross-fade"})
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Member of the EPUB → the template that writes it, to name where a breach came from.
EPUB_TEMPLATES = (("cover.xhtml", "epub/cover.xhtml"), ("title.xhtml", "epub/title.xhtml"),
                  ("nav.xhtml", "epub/nav.xhtml"), ("glossary.xhtml", "epub/glossary.xhtml"),
                  (".css", "epub/epub.css"), (".xhtml", "epub/chapter.xhtml"))


class Breach(Exception):
    """One rule broken: what to look for in the templates, and the message."""

    def __init__(self, needle: str, message: str) -> None:
        super().__init__(message)
        self.needle = needle
        self.message = message


# --- the two entry points, called by the writers -------------------------------------------------


def checked_web_page(html: str, env: jinja2.Environment) -> str:
    """The rendered web page with its Content-Security-Policy, once it is known to run and fetch nothing."""
    start = PAGE_START.match(html)
    if start is None:
        raise _problem(env, Breach("<head", "the web page must begin with <!DOCTYPE html>, <html> and <head>, "
                                            "where the build puts its Content-Security-Policy"), ("web/document.html",), ("web/", "shared/"))
    page = f"{html[:start.end()]}\n{POLICY_META}\n{NO_PREFETCH_META}{html[start.end():]}"
    root = _parse_html(page, strict=_has_own_templates(env))
    try:
        _policy_comes_first(root)
        _check_tree(root, "the web page", inside_allowed=False)
    except Breach as breach:
        raise _problem(env, breach, ("web/document.html",), ("web/", "shared/")) from None
    return page


def template_problem(env: jinja2.Environment, needle: str, message: str, templates: tuple[str, ...],
                     prefixes: tuple[str, ...]) -> SourceError:
    """A problem with what a template wrote, at the first template line holding ``needle`` (else the template)."""
    return _problem(env, Breach(needle, message), templates, prefixes)


def checked_template_pictures(markup: str, document: Any, env: jinja2.Environment, template: str,
                              known: frozenset[str] = frozenset()) -> list[Any]:
    """The pictures the templates of one output name beyond the chapters' (generator/pictures.py,
    TemplatePicture), each checked as a chapter's picture is; a refused one is an error at its template line."""
    from generator.pictures import template_pictures

    found = template_pictures(markup, document, known)
    for item in found:
        if item.picture is None:
            raise template_problem(env, item.src, f"a template's picture: {item.refusal}", (template,),
                                   (template.split("/")[0] + "/", "shared/"))
    return found


def checked_epub(data: bytes, env: jinja2.Environment) -> bytes:
    """The packaged EPUB, once no content document or stylesheet in it runs code or fetches from outside."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if not name.endswith((".xhtml", ".html", ".css")):
                continue
            where = f"the EPUB's {name.rsplit('/', 1)[-1]}"
            try:
                if name.endswith(".css"):
                    _check_css(book.read(name).decode("utf-8", "replace"), where, inside_allowed=True, sheet=True)
                else:
                    _check_tree(_parse_xhtml(book.read(name), where), where, inside_allowed=True)
            except Breach as breach:
                template = next(t for suffix, t in EPUB_TEMPLATES if name.endswith(suffix))
                raise _problem(env, breach, (template, "epub/layout.xhtml"), ("epub/", "shared/")) from None
    return data


# --- markup --------------------------------------------------------------------------------------


def _parse_html(page: str, strict: bool) -> Any:
    """The page's element tree, parsed as browsers do (tinyhtml5) or quickly (lxml) for our own templates."""
    if strict:
        import tinyhtml5

        return tinyhtml5.parse(page)
    import lxml.html

    return lxml.html.document_fromstring(page)


def _parse_xhtml(data: bytes, where: str) -> Any:
    """A content document's element tree; reading systems parse it as XML, so do we."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise Breach("<", f"{where} is not well-formed XHTML ({error})") from None


def _policy_comes_first(root: Any) -> None:
    """The head's first element is the policy the build put there (nothing was slipped before it)."""
    head = next((e for e in root.iter() if _local(e.tag) == "head"), None)
    first = next((e for e in (head if head is not None else ()) if isinstance(e.tag, str)), None)
    if first is None or _local(first.tag) != "meta" or dict(_attributes(first)).get("content") != POLICY:
        raise Breach("<head", "the web page's <head> must come first, where the build puts its Content-Security-Policy")


def _check_tree(root: Any, where: str, inside_allowed: bool) -> None:
    """Every element and attribute of a page or content document against the rules."""
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        tag = _local(element.tag)
        _check_element(tag, where)
        attributes = dict(_attributes(element))
        for name, value in attributes.items():
            _check_attribute(tag, name, value, where, inside_allowed)
        if tag == "meta" and attributes.get("http-equiv", "").strip().lower() not in HTTP_EQUIV_ALLOWED | {""}:
            raise Breach("http-equiv", f'{where} would redirect or set headers (<meta http-equiv="{attributes["http-equiv"]}">)')
        if tag in {"animate", "set"} and _local(attributes.get("attributename", "")).lower() in {"href", "src"}:
            raise Breach("attributeName", f"{where} would rewrite a link with SVG animation (<{tag}>)")
        if tag == "link" and attributes.get("href") is not None:
            _check_resource(attributes["href"], where, inside_allowed)
        if tag == "style":
            _check_css("".join(element.itertext()), where, inside_allowed, sheet=True)


def _check_element(tag: str, where: str) -> None:
    """Refuse the elements that run code, embed other content or hide markup."""
    if tag in SCRIPT_ELEMENTS:
        raise Breach(f"<{tag}", f"{where} would run a script (<{tag}> element); templates may not add scripts")
    if tag in EMBEDDING_ELEMENTS:
        raise Breach(f"<{tag}", f"{where} would embed other content (<{tag}> element)")
    if tag in AMBIGUOUS_ELEMENTS:
        raise Breach(f"<{tag}", f"{where} holds a <{tag}> element, which browsers read in different ways")


def _check_attribute(tag: str, name: str, value: str, where: str, inside_allowed: bool) -> None:
    """Refuse event handlers, links to code and resources from outside."""
    if name.startswith("on"):
        raise Breach(name, f"{where} would run a script (event handler attribute '{name}')")
    if name == "style":
        _check_css(value, where, inside_allowed, sheet=False)
    elif name == "href" and tag in NAVIGATION_ELEMENTS:
        _check_link(value, where, inside_allowed)
    elif name == "href" and tag != "link":  # SVG <use>, <image>, <feImage>; MathML: fetched or followed
        _check_resource(value, where, inside_allowed)
    elif name in RESOURCE_ATTRIBUTES:
        for url in (_srcset_urls(value) if name.endswith("srcset") else [value]):
            _check_resource(url, where, inside_allowed)


def _srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset, split as the HTML standard does (a data: URI's commas stay in it)."""
    urls: list[str] = []
    position = 0
    while position < len(value):
        while position < len(value) and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < len(value) and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url and not url.endswith(","):  # descriptors follow, up to the next comma outside parentheses
            depth = 0
            while position < len(value) and (value[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[position], 0)
                position += 1
        if url.rstrip(","):
            urls.append(url.rstrip(","))
    return urls


def _check_link(url: str, where: str, inside_allowed: bool) -> None:
    """A link goes to the web, to an e-mail address, to a #section or (in the EPUB) to a file of the book."""
    clean = _clean_url(url)
    scheme = SCHEME.match(clean)
    if scheme is None and (clean.startswith("#") or (inside_allowed and not clean.startswith(("/", "\\")))):
        return
    if scheme is not None and scheme.group(1).lower() in LINK_SCHEMES:
        return
    raise Breach(url, f"{where} would link to '{url}'; link to a web address (http, https, mailto) or a #section")


def _check_resource(url: str, where: str, inside_allowed: bool) -> None:
    """A resource is a data: URI, a #fragment or (in the EPUB) a file of the book; never fetched from elsewhere."""
    clean = _clean_url(url)
    scheme = SCHEME.match(clean)
    if clean == "" or clean.startswith("#") or (scheme is not None and scheme.group(1).lower() == "data"):
        return
    if inside_allowed and scheme is None and not clean.startswith(("/", "\\")):
        return
    place = "the book" if inside_allowed else "the file (pictures, styles and fonts must be data: URIs)"
    raise Breach(url, f"{where} would load '{url}' from outside {place}")


def _clean_url(url: str) -> str:
    """A URL as a browser reads it: leading and trailing controls and spaces dropped, tabs and newlines removed."""
    return re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12"
                                               "\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")


def _local(name: str) -> str:
    """An element or attribute name without its namespace or prefix, in lower case."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _attributes(element: Any) -> Iterator[tuple[str, str]]:
    """An element's attributes by local name."""
    return ((_local(name), value) for name, value in element.attrib.items())


# --- stylesheets ---------------------------------------------------------------------------------


def _check_css(css: str, where: str, inside_allowed: bool, sheet: bool) -> None:
    """Every URL a stylesheet (or a style attribute) names, and no CSS expression()."""
    import tinycss2

    nodes = tinycss2.parse_stylesheet(css) if sheet else tinycss2.parse_component_value_list(css)
    for node in _css_nodes(nodes):
        kind = getattr(node, "type", "")
        if kind == "url":
            _check_resource(node.value, where, inside_allowed)
        elif kind == "function" and node.lower_name == "expression":
            raise Breach("expression", f"{where} would run a script (CSS expression())")
        elif kind == "function" and node.lower_name in URL_FUNCTIONS | IMAGE_FUNCTIONS:
            for argument in node.arguments:
                if getattr(argument, "type", "") == "string":
                    _check_resource(argument.value, where, inside_allowed)
        elif kind == "at-rule" and node.lower_at_keyword == "import":
            for part in node.prelude:
                if getattr(part, "type", "") == "string":
                    _check_resource(part.value, where, inside_allowed)
        elif kind == "error":
            raise Breach(css[:40], f"{where} holds a stylesheet that cannot be parsed ({node.message})")


def _css_nodes(nodes: Iterable[Any]) -> Iterator[Any]:
    """Every node of a parsed stylesheet, depth first."""
    for node in nodes:
        yield node
        for child in ("prelude", "content", "arguments"):
            inner = getattr(node, child, None)
            if isinstance(inner, list):
                yield from _css_nodes(inner)


# --- where a breach came from -------------------------------------------------------------------


def _has_own_templates(env: jinja2.Environment) -> bool:
    """Whether templates of the document's own folder take part (then the page is parsed the strict way)."""
    loaders = getattr(env.loader, "loaders", [env.loader])
    return len(loaders) > 1


def _problem(env: jinja2.Environment, breach: Breach, templates: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> SourceError:
    """The breach as a source error at the first template line that holds its needle, else at the template that wrote it."""
    found = _find(env, breach.needle, prefixes) if breach.needle.strip() else None
    if found is None:
        found = (_template_file(env, templates), 1)
    return SourceError([Problem(found[0], found[1], 0, breach.message)])


def _find(env: jinja2.Environment, needle: str, prefixes: tuple[str, ...]) -> tuple[Path, int] | None:
    """The first template (the document's own first) and line whose text holds needle, ignoring case."""
    wanted = needle.lower()
    for loader in getattr(env.loader, "loaders", [env.loader]):
        for name in loader.list_templates():
            if not name.startswith(prefixes):
                continue
            try:
                text, filename, _ = loader.get_source(env, name)
            except (jinja2.TemplateNotFound, SourceError):
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if wanted in line.lower():
                    return Path(filename), number
    return None


def _template_file(env: jinja2.Environment, names: tuple[str, ...]) -> Path:
    """The file of the first of these templates that exists."""
    for name in names:
        try:
            return Path(env.get_template(name).filename or name)
        except jinja2.TemplateNotFound:
            continue
    return Path(names[0])
