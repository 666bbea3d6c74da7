"""HTML and script typed into any text field come out escaped on every page.

Two ways in, one check: the raw payload never appears in a page (its escaped form may).

- Through the forms: every form the world's pages show is filled with valid values, the
  payload in every free-text field, and sent as the role that saw it; the answer and the page
  it redirects to are checked at once.
- Straight into the database: every free-text column of every row of the world gets the
  payload (what an import, an admin edit or an older version could have stored).

After each, every page of the permission matrix is fetched as a role allowed to see it.
"""

import datetime
import re

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction

from .conftest import ANONYMOUS_PAGES, client_for
from .strategies import urlencoded

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
RAW = ["<script>alert(1)", "<img src=x onerror", "\"'><img"]
FREE_TEXT = {"text", "textarea", "search"}
# Columns with a format of their own (identifiers, addresses, stored paths): not free text.
NOT_FREE_TEXT = {"password", "username", "email", "file", "url", "file_name", "brin_code",
                 "content_type", "object_type", "field", "session_key", "persistent_id", "key",
                 "meldcode_version", "school_year", "external_id", "history_change_reason",
                 "history_type", "codename", "app_label", "model", "secret", "token"}

pytestmark = pytest.mark.django_db


def assert_escaped(response, where):
    assert response.status_code < 500, f"{where}: {response.status_code}"
    ctype = response.get("Content-Type", "")
    if response.streaming:
        assert "html" not in ctype, where  # downloads: a PDF or CSV, sent as attachment
        return
    body = response.content.decode(errors="replace")
    if "json" in ctype:
        # JSON is not HTML: no sniffing it into a page.
        assert response.get("X-Content-Type-Options") == "nosniff", where
        return
    raw = [marker for marker in RAW if marker in body]
    assert not raw, f"{where}: unescaped {raw} in the page"


def visit_every_page(fw, checked):
    for name, (url, role) in sorted(fw.pages.items()):
        if name in ANONYMOUS_PAGES:
            continue
        response = client_for(fw, role).get(url)
        assert_escaped(response, f"GET {name} {url} as {role}")
        checked.append(name)


def _errors(response):
    """The error texts of a refused form, for the test's output."""
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return ""
    html = response.content.decode()
    found = re.findall(r'class="(?:field__errors|alert alert--error)"[^>]*>(.*?)</(?:ul|div)>',
                       html, re.S)
    return " | ".join(re.sub(r"<[^>]+>|\s+", " ", f).strip()[:120] for f in found)[:300]


# Free-text fields with a format: the payload goes where the format leaves room for it.
FORMATTED = {
    "participants": f"{PAYLOAD} – leerkracht", "external_attendees": f"{PAYLOAD} – jeugdarts",
    "present_external": f"{PAYLOAD} – wijkteam", "roles": f"{PAYLOAD} – coördinator",
    "school_year": "2026-2027", "username": "xss.gebruiker", "external_id": "XSS000001",
}


def valid_value(field, today):
    if field.name in FORMATTED:
        return [FORMATTED[field.name]]
    if field.kind in ("select", "radio"):
        options = [v for v in field.values if v]
        return [v for v in field.current if v][:1] or options[:1]
    if field.kind == "checkbox":
        return field.current
    if field.kind == "button":
        return field.values[:1]
    if field.kind == "date":
        return [field.current[0] if field.current and field.current[0] else today.isoformat()]
    if field.kind in ("time",):
        return [field.current[0] if field.current and field.current[0] else "10:00"]
    if field.kind == "datetime-local":
        return [field.current[0] if field.current and field.current[0]
                else f"{today.isoformat()}T10:00"]
    if field.kind in FREE_TEXT:
        return [PAYLOAD if not field.maxlength or field.maxlength >= len(PAYLOAD)
                else PAYLOAD[:field.maxlength]]
    return field.current


def test_form_input_escaped_everywhere(fuzz_world, settings):
    fw = fuzz_world
    settings.MEDIA_ROOT = fw.world.media_root
    today = datetime.date.today()
    saved, refused, checked = [], [], []
    with transaction.atomic():
        for (method, url), target in sorted(fw.targets.items()):
            if method != "post" or not any(f.kind in FREE_TEXT for f in target.form.fields.values()):
                continue
            if target.form.multipart:
                continue  # files are not free text; the multipart forms are in the fuzzer
            pairs = [(f.name, v) for f in target.form.fields.values()
                     if f.name != "csrfmiddlewaretoken" for v in valid_value(f, today)]
            client = client_for(fw, target.role)
            response = client.post(url, urlencoded(pairs),
                                   content_type="application/x-www-form-urlencoded")
            where = f"POST {target.name} {url} as {target.role}"
            assert_escaped(response, where)
            if response.status_code == 302:
                saved.append(target.name)
                if response.url.startswith("/"):
                    assert_escaped(client.get(response.url), f"{where} → {response.url}")
            else:
                refused.append(f"{target.name} ({response.status_code}: {_errors(response)})")
        visit_every_page(fw, checked)
        transaction.set_rollback(True)
    print(f"\nescaping: {len(saved)} forms saved the payload, {len(refused)} refused it "
          f"(checked in their own answer), {len(checked)} pages checked after")
    print("refused:\n  " + "\n  ".join(sorted(refused)))
    assert len(saved) >= 20  # most forms must accept the payload, or the test proves nothing


def test_stored_text_escaped_everywhere(fuzz_world, settings):
    fw = fuzz_world
    settings.MEDIA_ROOT = fw.world.media_root
    columns = 0
    with transaction.atomic():
        for model in apps.get_models():
            if (model._meta.app_label in ("contenttypes", "sessions", "admin", "axes",
                                          "otp_totp", "otp_static", "django_celery_beat")
                    or model._meta.label_lower in ("auth.group", "auth.permission")):
                continue
            for f in model._meta.concrete_fields:
                if (not isinstance(f, (models.CharField, models.TextField)) or f.choices
                        or f.name in NOT_FREE_TEXT or f.primary_key or f.unique):
                    continue
                size = f.max_length or len(PAYLOAD)
                try:
                    with transaction.atomic():
                        model._default_manager.update(**{f.name: PAYLOAD[:size]})
                except IntegrityError:
                    continue  # part of a unique constraint (a case number): not free text
                columns += 1
        checked = []
        visit_every_page(fw, checked)
        transaction.set_rollback(True)
    print(f"\nescaping: payload stored in {columns} text columns, {len(checked)} pages checked")
    assert columns >= 50 and len(checked) >= 60
