"""What WeasyPrint may load while rendering a PDF: our own static files, from disk, and
``data:`` URLs. Nothing else.

The templates reference static files by path (``/static/css/pdf.css``); the document's base
URL is the reserved, never-resolving origin :data:`BASE_URL`, so WeasyPrint asks for
``https://pdf.meldcode.invalid/static/...``. Those are read from ``STATIC_ROOT`` (collected
files, also the hashed names of the manifest storage) or else through the staticfiles
finders. Any other URL is refused with :class:`URLRefused`: ``file://`` (would read the
server's disk), remote ``http(s)://`` (would leak that a dossier is being rendered, or
fetch attacker content), and anything else. User content is always escaped, so a refused URL
means a template mistake; WeasyPrint logs it and leaves the resource out.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils._os import safe_join

#: The document base URL: the reserved ``.invalid`` TLD never resolves (RFC 2606).
ORIGIN = "https://pdf.meldcode.invalid"
BASE_URL = ORIGIN + "/"


class URLRefused(ValueError):
    """A URL the PDF renderer may not load."""


def static_prefix() -> str:
    """The path under which static files are referenced in PDF templates (``/static/``)."""
    path = urlsplit(settings.STATIC_URL).path or "/static/"
    return path if path.endswith("/") else path + "/"


def static_path(url: str) -> Path:
    """The file on disk for a static URL of the PDF origin (or a bare ``/static/`` path).

    Raises :class:`URLRefused` for anything else, for path traversal and for missing files.
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if f"{parts.scheme}://{parts.netloc}".lower() != ORIGIN:
            raise URLRefused(f"refused URL scheme or host: {parts.scheme}://{parts.netloc}")
    elif not url.startswith("/"):
        raise URLRefused("refused relative URL")
    prefix = static_prefix()
    path = unquote(parts.path)
    if not path.startswith(prefix):
        raise URLRefused("refused: not a static file")
    relative = path[len(prefix):]
    normal = posixpath.normpath(relative)
    if not relative or normal.startswith(("../", "/")) or normal in (".", "..") or \
            "\\" in relative or "\x00" in relative:
        raise URLRefused("refused: invalid static path")
    found = None
    if settings.STATIC_ROOT:
        try:
            candidate = Path(safe_join(str(settings.STATIC_ROOT), normal))
        except Exception as exc:  # SuspiciousFileOperation: outside STATIC_ROOT
            raise URLRefused("refused: outside the static root") from exc
        if candidate.is_file():
            found = candidate
    if found is None:
        located = finders.find(normal)
        if located:
            found = Path(located if isinstance(located, str) else located[0])
    if found is None:
        raise URLRefused("static file not found")
    return found


def read_static(url: str) -> tuple[bytes, str]:
    """(content, MIME type) of the static file a PDF URL names; :class:`URLRefused` else."""
    path = static_path(url)
    mime = mimetypes.guess_type(path.name)[0]
    if path.suffix.lower() == ".ttf":
        mime = "font/ttf"
    return path.read_bytes(), mime or "application/octet-stream"


def make_url_fetcher():
    """A WeasyPrint ``URLFetcher`` that serves static files and ``data:`` URLs only.

    WeasyPrint is imported here, not at module level: only the worker needs it.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyURLFetcher(URLFetcher):
        def __init__(self):
            # Only data: goes through urllib's handlers; everything else is answered below.
            super().__init__(timeout=5, allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            body, mime = read_static(url)
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return StaticOnlyURLFetcher()
