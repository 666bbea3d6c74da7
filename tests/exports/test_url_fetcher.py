"""WeasyPrint may read our static files from disk and data: URLs, and nothing else."""

import pytest

from exports.url_fetcher import (BASE_URL, URLRefused, make_url_fetcher, read_static,
                                 static_path)

REFUSED = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://example.com/style.css",
    "https://example.com/static/css/pdf.css",
    "https://pdf.meldcode.invalid.example.com/static/css/pdf.css",
    "http://pdf.meldcode.invalid/static/css/pdf.css",  # our origin is https only
    "https://pdf.meldcode.invalid/geen-publieke-bestanden/signalen/1/abc",
    "https://pdf.meldcode.invalid/static/../meldcode/settings/base.py",
    "https://pdf.meldcode.invalid/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/../../etc/passwd",
    "/static/",
    "/static/css/bestaat-niet.css",
    "ftp://example.com/x",
    "//example.com/static/css/pdf.css",
    "css/pdf.css",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refuses_anything_but_our_static_files(url):
    with pytest.raises(URLRefused):
        read_static(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:9/x.css",
                                 "https://example.com/x.png"])
def test_weasyprint_fetcher_refuses_file_and_remote(url):
    with pytest.raises(URLRefused):
        make_url_fetcher().fetch(url)


def test_reads_static_files_from_disk():
    body, mime = read_static("/static/css/pdf.css")
    assert b"@page" in body and mime == "text/css"
    body, mime = read_static(BASE_URL + "static/fonts/DejaVuSans.ttf")
    assert mime == "font/ttf" and len(body) > 100_000
    assert static_path(BASE_URL + "static/css/pdf.css").name == "pdf.css"


def test_prefers_collected_files(settings, tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "pdf.abc123.css").write_text("/* collected */")
    settings.STATIC_ROOT = tmp_path
    body, _mime = read_static("/static/css/pdf.abc123.css")
    assert body == b"/* collected */"
    # Not collected: found through the finders (static/ in the project).
    assert b"@page" in read_static("/static/css/pdf.css")[0]


def test_weasyprint_fetcher_serves_static_and_data():
    fetcher = make_url_fetcher()
    response = fetcher.fetch(BASE_URL + "static/css/pdf.css")
    assert b"@font-face" in response.read()
    assert fetcher.fetch("data:text/plain,hallo").read() == b"hallo"


@pytest.mark.slow
def test_a_document_with_forbidden_urls_renders_without_them(tmp_path):
    from exports.pdf import html_to_pdf

    secret = tmp_path / "geheim.css"
    secret.write_text("body { background: red }")
    html = (f'<html lang="nl"><head><title>t</title><link rel="stylesheet" '
            f'href="file://{secret}"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
            f'</head><body><img src="file:///etc/hostname" alt="x"><p>Tekst</p></body></html>')
    pdf = html_to_pdf(html)
    assert pdf.pages == 1 and pdf.content.startswith(b"%PDF")
