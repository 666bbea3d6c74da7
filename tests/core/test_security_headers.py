"""Security headers and cookies under production-like settings, and templates that a strict
Content-Security-Policy (no 'unsafe-inline' for scripts or styles) does not break.

``manage.py check --deploy --fail-level WARNING`` with the production settings themselves runs
in ``tests/test_deployment.py::test_check_deploy_passes_with_production_environment`` (and in
.ci/run); here the real response headers of real pages are checked.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from schools.roles import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates"
HOST = "meldcode.example.nl"


@pytest.fixture
def production(settings):
    """What base.py gives without DJANGO_DEBUG (test.py relaxes SSL and secure cookies)."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [HOST]
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    return settings


def https_get(client, url):
    return client.get(url, secure=True, HTTP_HOST=HOST)


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response):
    csp = csp_directives(response)
    for directive in ("default-src", "script-src", "style-src"):
        assert csp[directive] == ["'self'"], (directive, csp[directive])
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(item.strip().split("=", 1)
                  for item in response.headers["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert policy[feature] == "()", feature
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload")


def cookie_attributes(response, name) -> dict:
    morsel = response.cookies[name]
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}


def test_signed_in_page_headers_and_cookies(production, verified_client, school):
    verified_client.force_login(staff(Role.IB, school))
    response = https_get(verified_client, reverse("core:dashboard"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert_nothing_inline(response.content.decode())
    assert "no-store" in response.headers["Cache-Control"]
    # The session cookie is re-sent when the sliding idle timeout refreshes it (at most once a
    # minute, core.middleware.SlidingSessionMiddleware): make the last refresh old.
    from core.middleware import SlidingSessionMiddleware

    session = verified_client.session
    session[SlidingSessionMiddleware.KEY] = 0
    session.save()
    response = https_get(verified_client, reverse("core:dashboard"))
    assert cookie_attributes(response, "sessionid") == {
        "secure": True, "httponly": True, "samesite": "Lax"}


def test_login_page_headers_and_csrf_cookie(production, client):
    response = https_get(client, reverse("two_factor:login"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert_nothing_inline(response.content.decode())
    assert cookie_attributes(response, "csrftoken") == {
        "secure": True, "httponly": True, "samesite": "Lax"}


def test_error_pages_carry_the_headers_too(production, verified_client, school):
    verified_client.force_login(staff(Role.IB, school))
    response = https_get(verified_client, reverse("cases:detail", args=[987654]))
    assert response.status_code == 404
    assert_security_headers(response)


def test_plain_http_is_redirected_to_https(production, client):
    response = client.get(reverse("two_factor:login"), HTTP_HOST=HOST)
    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}{reverse('two_factor:login')}"


def test_https_behind_the_proxy_counts_as_secure(production, client):
    response = client.get(reverse("two_factor:login"), HTTP_HOST=HOST,
                          HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response.headers


# --- templates: nothing inline ------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)  # a script without src
SCRIPT_BODY = re.compile(r"<script\b[^>]*>(.*?)</script>", re.I | re.S)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
# The PDF templates are rendered by WeasyPrint, never served to a browser.
NOT_SERVED = ("exports/pdf/",)


def inline_problems(text: str) -> list[str]:
    problems = [what for pattern, what in ((INLINE_SCRIPT, "<script> without src"),
                                           (STYLE_ELEMENT, "<style> element"),
                                           (EVENT_HANDLER, "on*= event handler"),
                                           (STYLE_ATTRIBUTE, "style= attribute"),
                                           (JS_URL, "javascript: URL"))
                if pattern.search(text)]
    problems += ["<script> with a body" for body in SCRIPT_BODY.findall(text) if body.strip()]
    return problems


def assert_nothing_inline(html: str):
    assert not inline_problems(html)


def served_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        rel = path.relative_to(TEMPLATES).as_posix()
        if not rel.startswith(NOT_SERVED):
            yield rel, path.read_text()


def test_there_are_templates_to_scan():
    names = [name for name, _ in served_templates()]
    assert len(names) > 50 and "base.html" in names


def test_no_inline_scripts_handlers_or_styles_in_templates():
    problems = [f"{name}: {what}" for name, text in served_templates()
                for what in inline_problems(text)]
    assert not problems, problems


@pytest.mark.parametrize("snippet", [
    "<script>alert(1)</script>", '<script type="module">x()</script>',
    '<script src="/static/x.js">alert(1)</script>', '<button onclick="go()">',
    '<div\n  class="a" onChange="x">', '<p style="color:red">', "<style>p{}</style>",
    '<a href="javascript:void(0)">',
])
def test_the_scan_catches_inline_code(snippet):
    assert inline_problems(snippet)


@pytest.mark.parametrize("snippet", [
    '<script src="/static/js/meldcode.js" defer></script>', '<p class="online">',
    '<input name="style">', "<p>Sessie: op basis van observaties</p>",
])
def test_the_scan_lets_clean_markup_through(snippet):
    assert not inline_problems(snippet)


def test_two_factor_setup_page_is_clean_too(production, client, school):
    """The QR-code page of the 2FA setup (third-party views, our templates)."""
    client.force_login(staff(Role.IB, school))
    response = https_get(client, reverse("two_factor:setup"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert_nothing_inline(response.content.decode())
