"""Real PDFs (WeasyPrint), checked with poppler's pdfinfo, pdftotext and pdffonts."""

import re
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from exports.documents import case_for_export, dossier_context, inzage_context
from exports.models import ExportJob, JobStatus
from exports.pdf import DOSSIER_TEMPLATE, INZAGE_TEMPLATE, html_to_pdf, render_html
from exports.services import access_request_create, redaction_add

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def poppler(tool: str, pdf: bytes, tmp_path, *args) -> str:
    path = tmp_path / f"{tool}.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          check=True, capture_output=True, text=True).stdout


def normalise(text: str) -> str:
    """pdftotext output with line breaks and hyphenation undone, for searching."""
    return re.sub(r"\s+", " ", re.sub(r"\u2010\n|-\n", "", text))


def test_dossier_pdf(filled, director, tmp_path):
    context = dossier_context(case_for_export(filled.case.pk), requester=director,
                              include_history=False)
    pdf = html_to_pdf(render_html(DOSSIER_TEMPLATE, context))
    info = poppler("pdfinfo", pdf.content, tmp_path)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages == pdf.pages and 6 <= pages <= 30
    assert re.search(r"Page size:\s+595.\d* x 841.\d* pts \(A4\)", info)
    assert pdf.variant == "pdf/ua-1" and re.search(r"Tagged:\s+yes", info)
    assert re.search(r"Title:\s+Dossier " + filled.case.number, info)
    text = normalise(poppler("pdftotext", pdf.content, tmp_path, "-raw"))
    case = filled.case
    for expected in [f"Dossier {case.number}", "Noor Bakker", "Vertrouwelijk",
                     f"pagina 1 van {pages}", f"pagina {pages} van {pages}",
                     f"Geëxporteerd door {director.get_full_name()}",
                     "Stap 1: signalen in kaart brengen", "Afwegingskader en besluit",
                     "Contact met Veilig Thuis", "Betrokkenheid van de ouders",
                     "Hulp, volgen en evaluatie", "Tijdlijn",
                     filled.objects["consultation"][0].advice,
                     filled.objects["sot"][0].agreed_approach,
                     filled.objects["decision"][0].deviation_reason,
                     filled.objects["evaluation"][0].note]:
        assert normalise(expected) in text, expected
    # Every signal text is in it, facts and interpretation alike.
    for signal in filled.objects["signal"]:
        version = signal.versions.order_by("-number").first()
        assert normalise(version.facts) in text and normalise(version.interpretation) in text
    fonts = poppler("pdffonts", pdf.content, tmp_path)
    assert "Meldcode-Sans" in fonts  # the vendored DejaVu Sans, by its @font-face name
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())


def test_history_appendix_adds_pages(filled, director):
    def pages(history):
        context = dossier_context(case_for_export(filled.case.pk), requester=director,
                                  include_history=history)
        return html_to_pdf(render_html(DOSSIER_TEMPLATE, context)).pages

    assert pages(True) > pages(False)


def test_inzage_pdf_has_the_redactions(filled, parent_link, director, tmp_path):
    request = access_request_create(pupil=filled.case.pupil, actor=director,
                                    requester_kind="ouder", parent_link=parent_link,
                                    received_on=timezone.localdate(), identity_verified=True)
    consultation = filled.objects["consultation"][0]
    redaction_add(access_request=request, actor=director, object_type="cases.consultation",
                  object_id=consultation.pk, field="advice", reason="Informatie over een derde.",
                  allowed={("cases.consultation", consultation.pk): {"advice"}})
    pdf = html_to_pdf(render_html(INZAGE_TEMPLATE, inzage_context(request)))
    text = normalise(poppler("pdftotext", pdf.content, tmp_path, "-raw"))
    assert "Inzage in de gegevens van de school" in text
    assert "ZWARTGEMAAKT" in text and "Informatie over een derde." in text
    assert normalise(consultation.advice) not in text
    assert normalise(consultation.question) in text
    assert f"verzoek {request.pk}" in text


def test_export_through_the_worker_task(verified_client, director, filled,
                                        django_capture_on_commit_callbacks):
    """End to end with the real renderer: view → eager Celery task → stored PDF → download."""
    verified_client.force_login(director)
    with django_capture_on_commit_callbacks(execute=True):
        verified_client.post(reverse("exports:case_export", args=[filled.case.pk]))
    job = ExportJob.objects.get()
    assert job.status == JobStatus.DONE and job.page_count >= 6
    response = verified_client.post(reverse("exports:job_download", args=[job.pk]))
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-") and b"%%EOF" in content[-64:]
    assert not default_storage.exists(job.file_name)


def test_second_render_reuses_the_stylesheet_and_fonts(filled, director, tmp_path,
                                                       monkeypatch):
    """A worker parses the print CSS and loads the fonts once; later renders reuse them and
    still contain every record, styled (embedded @font-face fonts, running header)."""
    import weasyprint
    from weasyprint.text import fonts

    from exports import pdf as pdf_module

    pdf_module.clear_render_cache()
    parsed, configs = [], []
    real_css, real_config = weasyprint.CSS, fonts.FontConfiguration

    def counting_css(*args, **kwargs):
        parsed.append(kwargs.get("url"))
        return real_css(*args, **kwargs)

    def counting_config(*args, **kwargs):
        configs.append(1)
        return real_config(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "CSS", counting_css)
    monkeypatch.setattr(fonts, "FontConfiguration", counting_config)
    context = dossier_context(case_for_export(filled.case.pk), requester=director,
                              include_history=False)
    html = render_html(DOSSIER_TEMPLATE, context)
    first = html_to_pdf(html)
    resources = pdf_module.render_resources()
    second = html_to_pdf(html)
    assert pdf_module.render_resources() is resources
    assert parsed == ["https://pdf.meldcode.invalid/static/css/pdf.css"] and len(configs) == 1
    assert second.pages == first.pages and second.variant == "pdf/ua-1"
    text = normalise(poppler("pdftotext", second.content, tmp_path, "-raw"))
    assert f"pagina {second.pages} van {second.pages}" in text and "VERTROUWELIJK" in text
    for signal in filled.objects["signal"]:
        version = signal.versions.order_by("-number").first()
        assert normalise(version.facts) in text and normalise(version.interpretation) in text
    for key, attr in [("consultation", "advice"), ("sot", "agreed_approach"),
                      ("evaluation", "note")]:
        for record in filled.objects[key]:
            assert normalise(getattr(record, attr)) in text, (key, record.pk)
    assert "Meldcode-Sans" in poppler("pdffonts", second.content, tmp_path)


def test_render_cache_follows_a_changed_stylesheet(monkeypatch):
    """Editing static/css/pdf.css (development) rebuilds the cache; no restart needed."""
    from exports import pdf as pdf_module

    pdf_module.clear_render_cache()
    first = pdf_module.render_resources()
    assert pdf_module.render_resources() is first
    monkeypatch.setattr(pdf_module, "_stylesheet_key", lambda: ("changed",))
    assert pdf_module.render_resources() is not first
    pdf_module.clear_render_cache()
