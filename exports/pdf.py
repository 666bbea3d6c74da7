"""Rendering: dossier and inzage templates to HTML, HTML to PDF with WeasyPrint.

The HTML step needs no WeasyPrint (tests assert on it); the PDF step imports WeasyPrint
lazily, loads resources only through :mod:`exports.url_fetcher`, embeds the vendored DejaVu
fonts and writes a tagged PDF (PDF/UA-1) when the installed WeasyPrint supports it.

The print stylesheet is not linked from the HTML: :func:`html_to_pdf` applies it from a
per-process cache (:func:`render_resources`), parsed once together with the font
configuration that holds its ``@font-face`` fonts. A worker that renders many exports so
parses the CSS and loads the four font files once, and Pango keeps its font and shaping
caches warm between documents. The cache is rebuilt when the stylesheet file changes.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation

from .url_fetcher import BASE_URL, make_url_fetcher, static_path, static_prefix

logger = logging.getLogger(__name__)

DOSSIER_TEMPLATE = "exports/pdf/case_report.html"
INZAGE_TEMPLATE = "exports/pdf/inzage.html"
#: The print stylesheet, a static file (read through the URL fetcher's rules).
STYLESHEET = "css/pdf.css"
#: Tagged PDF for screen readers (PDF/UA-1); plain PDF when WeasyPrint cannot.
PDF_VARIANT = "pdf/ua-1"


@dataclass
class RenderedPdf:
    content: bytes
    pages: int
    variant: str


@dataclass(frozen=True)
class RenderResources:
    """What every render in this process shares: parsed stylesheet, fonts, URL fetcher."""

    key: tuple
    stylesheet: object  # weasyprint.CSS
    font_config: object  # weasyprint.text.fonts.FontConfiguration
    url_fetcher: object


#: Template indentation between two tags, across a line break. User text cannot contain it
#: (it is escaped, and ``linebreaksbr`` leaves no line break), so dropping it changes nothing
#: on the page; WeasyPrint then parses less HTML and builds no whitespace-only text boxes.
_INDENTATION = re.compile(r">\s*\n\s*<")

_resources: RenderResources | None = None
# One render at a time per process: WeasyPrint's FontConfiguration (a Pango font map) is not
# meant to be used from two threads at once. Celery's prefork workers are single-threaded, so
# this lock is only ever contended in a threaded test or development server.
_render_lock = threading.RLock()


def _stylesheet_key() -> tuple:
    path = static_path(static_prefix() + STYLESHEET)
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def render_resources() -> RenderResources:
    """The cached stylesheet and font configuration, (re)built if missing or stale."""
    global _resources
    key = _stylesheet_key()
    with _render_lock:
        if _resources is None or _resources.key != key:
            from weasyprint import CSS
            from weasyprint.text.fonts import FontConfiguration

            fetcher = make_url_fetcher()
            font_config = FontConfiguration()
            url = BASE_URL.rstrip("/") + static_prefix() + STYLESHEET
            # Fetched like any resource of the document: from disk, refusing anything else.
            # The @font-face fonts are loaded into font_config here, once.
            stylesheet = CSS(url=url, url_fetcher=fetcher, font_config=font_config)
            _resources = RenderResources(key, stylesheet, font_config, fetcher)
        return _resources


def clear_render_cache() -> None:
    """Forget the cached resources (tests; a worker never needs this)."""
    global _resources
    with _render_lock:
        _resources = None


# Release the font configuration while the interpreter still works (its finaliser calls into
# shutil, which is gone during the final garbage collection).
atexit.register(clear_render_cache)


def render_html(template_name: str, context: dict) -> str:
    """The print HTML of a dossier or inzage copy, in Dutch, all user text escaped."""
    with translation.override("nl"):
        return _INDENTATION.sub("><", render_to_string(template_name, context))


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out ``html`` (A4, print CSS) and write the PDF."""
    from weasyprint import HTML  # lazy: only the worker pays for the import

    with _render_lock:
        res = render_resources()
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=res.url_fetcher)
        options = {"stylesheets": [res.stylesheet], "font_config": res.font_config}
        variant = PDF_VARIANT
        try:
            rendered = document.render(pdf_variant=variant, pdf_tags=True, **options)
            content = rendered.write_pdf(pdf_variant=variant, pdf_tags=True)
        except Exception:  # an older WeasyPrint without the variant, or a tagging bug
            logger.warning("exports: %s rendering failed, falling back to an untagged PDF",
                           variant, exc_info=True)
            variant = ""
            rendered = document.render(**options)
            content = rendered.write_pdf()
    return RenderedPdf(content, len(rendered.pages), variant)
