"""No case content in logs, error e-mails or URLs (core.safe_logging).

A server error in a case view whose POST body, local variables and exception message all
carry case content: the console log and the administrators' error e-mail show where it
happened (view, file, line), never what was typed.
"""

import io
import logging
import re

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases import views as case_views

pytestmark = pytest.mark.django_db

SECRET_FACT = "Noor vertelde dat vader haar met de riem slaat"
SECRET_QUERY = "Bakker-Zoekterm"
SECRET_FILE = "noor-blauwe-plek.png"


@pytest.fixture
def captured_log():
    """The configured console handler of ``django.request``, writing into a buffer."""
    handler = next(h for h in logging.getLogger("django.request").handlers
                   if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield buffer
    handler.setStream(old)


@pytest.fixture
def failing_close(monkeypatch):
    def close_case(*, case_id, actor, close_reason, explanation):
        note = explanation  # a local variable with content
        raise RuntimeError(f"opslaan mislukt voor: {note}")

    monkeypatch.setattr(case_views, "close_case", close_case)


def post_close(client, case):
    client.raise_request_exception = False
    return client.post(
        reverse("cases:close", args=[case.pk]) + f"?zoek={SECRET_QUERY}",
        {"afsluiten-lock_version": case.lock_version, "afsluiten-close_reason": "anders",
         "afsluiten-explanation": SECRET_FACT})


def assert_no_content(text):
    for secret in (SECRET_FACT, "riem slaat", SECRET_QUERY, "Noor", "Bakker",
                   "Blauwe plek op de arm"):
        assert secret not in text, secret


def test_server_error_log_has_no_case_content(verified_client, ib, case, failing_close,
                                              captured_log):
    verified_client.force_login(ib)
    response = post_close(verified_client, case)
    assert response.status_code == 500
    log = captured_log.getvalue()
    # Where it went wrong is still there...
    assert f"Internal Server Error: /dossiers/{case.pk}/afsluiten/" in log
    assert "Traceback" in log and "in close_case" in log and "builtins.RuntimeError" in log
    # ...what was typed is not.
    assert_no_content(log)


def test_error_mail_to_administrators_has_no_case_content(verified_client, ib, case,
                                                          failing_close, settings, captured_log):
    settings.ADMINS = [("Beheer", "beheer@meldcode.invalid")]
    verified_client.force_login(ib)
    post_close(verified_client, case)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["beheer@meldcode.invalid"]
    assert not message.alternatives  # no HTML report with more detail
    text = message.subject + message.body
    assert f"/dossiers/{case.pk}/afsluiten/" in text and "close_case" in text
    assert "afsluiten-explanation" in text  # the field's name, not its value
    assert "[weggelaten: kan dossierinhoud bevatten]" in text
    assert_no_content(text)
    assert verified_client.cookies["sessionid"].value not in text  # no cookies either


def test_chained_exception_messages_are_removed_too(captured_log):
    logger = logging.getLogger("django.request")
    try:
        try:
            raise KeyError(SECRET_FACT)
        except KeyError as inner:
            raise ValueError(f"ongeldig: {SECRET_QUERY}") from inner
    except ValueError:
        logger.error("Internal Server Error: %s", "/dossiers/1/", exc_info=True)
    log = captured_log.getvalue()
    assert "builtins.ValueError" in log and "builtins.KeyError" in log
    assert_no_content(log)


def test_exceptions_passed_as_log_arguments_are_scrubbed(captured_log):
    logging.getLogger("django.request").error("taak mislukt: %s", ValueError(SECRET_FACT))
    log = captured_log.getvalue()
    assert "taak mislukt: ValueError" in log
    assert_no_content(log)


def test_the_report_filter_hides_every_post_value_and_frame_variable(rf):
    from django.views.debug import get_exception_reporter_class

    from core.safe_logging import CaseSafeExceptionReporter

    request = rf.post(f"/dossiers/1/afsluiten/?q={SECRET_QUERY}",
                      {"afsluiten-explanation": SECRET_FACT})
    request.user = None
    try:
        secret = SECRET_FACT  # noqa: F841  (a frame variable with content)
        raise RuntimeError(SECRET_FACT)
    except RuntimeError as exc:
        error = exc
    reporter_class = get_exception_reporter_class(request)  # from the settings
    assert reporter_class is CaseSafeExceptionReporter
    report = reporter_class(request, RuntimeError, error, error.__traceback__, is_email=True)
    text = report.get_traceback_text()
    assert "afsluiten-explanation" in text and "QUERY_STRING" in text
    assert_no_content(text)
    html = report.get_traceback_html()  # the richer report, with each frame's variables
    assert "secret" in html and "afsluiten-explanation" in html
    assert_no_content(html)


def test_stepup_code_is_marked_sensitive(verified_client, ib, captured_log, monkeypatch, settings):
    """sensitive_post_parameters on the step-up view (on top of the filter)."""
    from core import views as core_views

    def broken(*args, **kwargs):
        raise RuntimeError("kapot")

    monkeypatch.setattr(core_views, "StepUpForm", broken)
    settings.ADMINS = [("Beheer", "beheer@meldcode.invalid")]
    verified_client.force_login(ib)
    verified_client.raise_request_exception = False
    assert verified_client.post(reverse("core:stepup"), {"code": "493817"}).status_code == 500
    assert "493817" not in captured_log.getvalue() + mail.outbox[0].body


# --- URLs: ids only -----------------------------------------------------------------------------

# Path parameters that are not numeric ids, and why they carry no case content.
NON_ID_PARAMETERS = {
    "exports:inzage_redact": {"object_type": "a model label such as cases.consultation"},
    "password_reset_confirm": {"uidb64": "Django's encoded user id", "token": "reset token"},
    "afwegingskader:followup_add": {"kind": "a converter that matches the fixed record kinds"},
    "afwegingskader:followup_edit": {"kind": "the same converter"},
    "specialroutes:staff_record_add": {"kind": "one of the fixed RECORD_TYPES keys, else 404"},
}


def all_patterns():
    def walk(patterns, namespace, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue  # Django's admin: object ids and app/model names
                inner = (f"{namespace}:{p.namespace}" if namespace and p.namespace
                         else p.namespace or namespace)
                yield from walk(p.url_patterns, inner, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                yield name, prefix + str(p.pattern), p.pattern.converters
    yield from walk(get_resolver().url_patterns, "", "")


def test_url_parameters_are_ids():
    problems = []
    seen_int = 0
    for name, route, converters in all_patterns():
        if name and name.startswith("two_factor:"):
            assert not converters or set(converters) <= {"step"}, (name, route)
            continue
        for param, converter in converters.items():
            kind = type(converter).__name__
            if kind == "IntConverter":
                seen_int += 1
            elif param not in NON_ID_PARAMETERS.get(name, {}):
                problems.append(f"{name} {route}: <{kind} {param}>")
        assert not re.search(r"\(\?P<", route), f"{name}: regex route, use an int converter"
    assert seen_int > 40
    assert not problems, problems
