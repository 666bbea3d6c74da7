"""Rendering: dossier and inzage templates to HTML, HTML to PDF with WeasyPrint.

The HTML step needs no WeasyPrint (tests assert on it); the PDF step imports WeasyPrint
lazily, loads resources only through :mod:`exports.url_fetcher`, embeds the vendored DejaVu
fonts and writes a tagged PDF (PDF/UA-1) when the installed WeasyPrint supports it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation

from .url_fetcher import BASE_URL, make_url_fetcher, static_prefix

logger = logging.getLogger(__name__)

DOSSIER_TEMPLATE = "exports/pdf/case_report.html"
INZAGE_TEMPLATE = "exports/pdf/inzage.html"
#: Tagged PDF for screen readers (PDF/UA-1); plain PDF when WeasyPrint cannot.
PDF_VARIANT = "pdf/ua-1"


@dataclass
class RenderedPdf:
    content: bytes
    pages: int
    variant: str


def render_html(template_name: str, context: dict) -> str:
    """The print HTML of a dossier or inzage copy, in Dutch, all user text escaped."""
    with translation.override("nl"):
        return render_to_string(template_name, {**context, "pdf_static": static_prefix()})


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out ``html`` (A4, print CSS) and write the PDF."""
    from weasyprint import HTML  # lazy: only the worker pays for the import

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_url_fetcher())
    variant = PDF_VARIANT
    try:
        rendered = document.render(pdf_variant=variant, pdf_tags=True)
        content = rendered.write_pdf(pdf_variant=variant, pdf_tags=True)
    except Exception:  # an older WeasyPrint without the variant, or a tagging bug
        logger.warning("exports: %s rendering failed, falling back to an untagged PDF",
                       variant, exc_info=True)
        variant = ""
        rendered = document.render()
        content = rendered.write_pdf()
    return RenderedPdf(content, len(rendered.pages), variant)
