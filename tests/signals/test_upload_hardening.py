"""Uploads, hardening (issue 7) on top of test_views/test_services: the type comes from the
content for every dangerous kind, the size limit holds at its edge and for the whole request,
and downloads are always attachments with nosniff and a harmless file name."""

import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from signals.models import PupilRole, Signal, SignalAttachment
from signals.validators import MAX_ATTACHMENT_SIZE

from .helpers import FACTS, PDF, PNG, form_data, upload

pytestmark = pytest.mark.django_db
CREATE = reverse("signals:create")

DISGUISED = {
    "html": b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    "javascript": b"fetch('/export/').then(r => r.text())",
    "zip-office": b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64,
    "gif": b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32,
    "png-lookalike": b"\x89PNG-nep" + b"\x00" * 32,
    "pdf-in-the-middle": b"<html>" + PDF,
}


@pytest.mark.parametrize("kind", sorted(DISGUISED))
@pytest.mark.parametrize("name, declared", [("foto.png", "image/png"),
                                            ("brief.pdf", "application/pdf")])
def test_disguised_content_is_refused_and_input_kept(verified_client, teacher, pupil, kind,
                                                     name, declared):
    verified_client.force_login(teacher)
    data = form_data([(pupil, PupilRole.CONCERNED)])
    data["attachments"] = [upload(name, DISGUISED[kind], declared)]
    response = verified_client.post(CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "geen foto (JPEG of PNG) of PDF" in html and FACTS in html
    assert not Signal.objects.exists() and not SignalAttachment.objects.exists()


def test_exactly_the_size_limit_is_accepted(make_signal, teacher):
    content = b"%PDF-" + b"0" * (MAX_ATTACHMENT_SIZE - 5)
    signal = make_signal(teacher, attachments=[upload("precies.pdf", content,
                                                      "application/pdf")])
    attachment = signal.attachments.get()
    assert attachment.size == MAX_ATTACHMENT_SIZE
    assert attachment.content_type == "application/pdf"


def test_oversized_request_is_refused_before_it_is_read(verified_client, teacher, pupil,
                                                        settings):
    settings.MELDCODE_MAX_REQUEST_BYTES = 4096
    verified_client.force_login(teacher)
    data = form_data([(pupil, PupilRole.CONCERNED)])
    data["attachments"] = [upload("groot.png", PNG + b"\x00" * 8192)]
    response = verified_client.post(CREATE, data)
    assert response.status_code == 413
    html = response.content.decode()
    assert "Te groot om te versturen" in html and "10 MB" in html
    assert not Signal.objects.exists()


def test_request_under_the_limit_passes(verified_client, teacher, pupil, settings):
    settings.MELDCODE_MAX_REQUEST_BYTES = 64 * 1024
    verified_client.force_login(teacher)
    data = form_data([(pupil, PupilRole.CONCERNED)])
    data["attachments"] = [upload("klein.png", PNG + b"\x00" * 8192)]
    assert verified_client.post(CREATE, data).status_code == 302


def test_production_limit_fits_five_full_attachments(settings):
    assert settings.MELDCODE_MAX_REQUEST_BYTES > 5 * MAX_ATTACHMENT_SIZE
    assert settings.MELDCODE_MAX_REQUEST_BYTES < 6 * MAX_ATTACHMENT_SIZE


def test_stored_path_holds_no_name_from_the_user(make_signal, teacher):
    signal = make_signal(teacher, attachments=[upload("Noor Bakker arm.png", PNG)])
    attachment = signal.attachments.get()
    assert "Noor" not in attachment.file.name and "Bakker" not in attachment.file.name
    assert default_storage.exists(attachment.file.name)


@pytest.mark.parametrize("original, content, expected_type", [
    ("verslag.pdf", PDF, "application/pdf"),
    ("foto.png", PNG, "image/png"),
])
def test_download_is_always_an_attachment_with_nosniff(verified_client, make_signal, teacher,
                                                      original, content, expected_type):
    signal = make_signal(teacher, attachments=[upload(original, content, "text/html")])
    verified_client.force_login(teacher)
    response = verified_client.get(reverse("signals:attachment",
                                           args=[signal.attachments.get().pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == expected_type  # from the content, not the browser
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_download_name_cannot_inject_headers(verified_client, make_signal, teacher):
    signal = make_signal(teacher, attachments=[
        upload('a"b\r\nX-Evil: 1;.png', PNG)])
    verified_client.force_login(teacher)
    response = verified_client.get(reverse("signals:attachment",
                                           args=[signal.attachments.get().pk]))
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "X-Evil" not in response.headers
    assert disposition.startswith("attachment;") and re.search(r'\.png"?$', disposition)
