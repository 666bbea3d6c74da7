"""HTML and script in every text field of every record type (and signal version) come out
escaped in the HTML, and literally as text in the PDF."""

import subprocess

import pytest
from django.utils import timezone

from exports.documents import case_for_export, dossier_context, inzage_context
from exports.pdf import DOSSIER_TEMPLATE, INZAGE_TEMPLATE, html_to_pdf, render_html
from exports.services import access_request_create
from tests.factories import PupilFactory

from .world import NOT_SHOWN, fill_case

pytestmark = pytest.mark.django_db

SCRIPT, BOLD = "<script>alert(1)</script>", "<b>x</b>"
SCRIPT_ESC, BOLD_ESC = "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;x&lt;/b&gt;"


def payload(tag: str) -> str:
    return f"{SCRIPT}{BOLD} {tag}"


@pytest.fixture
def hostile(case, people, school):
    """Every text field of every record holds markup; so do the people's names."""
    for user in people.values():
        user.first_name = f"{BOLD}Naam"
        user.save()
    pupil = case.pupil
    pupil.first_name = f"{SCRIPT}Noor"
    pupil.save()
    other = PupilFactory(school=school, first_name=f"{BOLD}Daan")
    return fill_case(case, people, text=payload, other_pupil=other)


def _assert_escaped(html: str, tags, where_not_shown=()):
    assert SCRIPT not in html and BOLD not in html
    assert "<script" not in html
    missing = [where for tag, where in tags.items()
               if f"{SCRIPT_ESC}{BOLD_ESC} {tag}" not in html and where not in where_not_shown]
    assert not missing


def test_dossier_html_escapes_every_text_field(hostile, director):
    html = render_html(DOSSIER_TEMPLATE, dossier_context(
        case_for_export(hostile.case.pk), requester=director, include_history=True))
    _assert_escaped(html, hostile.tags, NOT_SHOWN)
    assert f"{SCRIPT_ESC}Noor" in html and f"{BOLD_ESC}Naam" in html


def test_inzage_html_escapes_every_text_field(hostile, director, parent_link):
    request = access_request_create(
        pupil=hostile.case.pupil, actor=director, requester_kind="ouder",
        parent_link=parent_link, received_on=timezone.localdate(),
        identity_verified=True)
    html = render_html(INZAGE_TEMPLATE, inzage_context(request))
    # Policy notes (knelpunten) are not part of the copy.
    not_in_copy = set(NOT_SHOWN) | {w for w in hostile.tags.values()
                                    if w.startswith("afwegingskader.bottlenecknote.")}
    _assert_escaped(html, hostile.tags, not_in_copy)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.slow
def test_pdf_shows_markup_literally(hostile, director, tmp_path):
    html = render_html(DOSSIER_TEMPLATE, dossier_context(
        case_for_export(hostile.case.pk), requester=director, include_history=False))
    text = _pdf_text(html_to_pdf(html).content, tmp_path)
    assert text.count(SCRIPT) >= 20
    assert text.count(BOLD) >= 20
    assert f"{SCRIPT}Noor" in text
