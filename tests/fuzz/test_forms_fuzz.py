"""Hostile input to every form and endpoint of the permission matrix's world.

Every URL of the matrix (plus the public login and password-reset pages) gets one test. The
forms are those found on the matrix's pages (``conftest.discover``), posted as the role that
saw them; the body keeps, drops, repeats or replaces each field with hostile values (huge and
unicode strings, NUL bytes, lone surrogates, impossible dates, huge numbers, invalid choices,
ids of another board's objects) and adds random fields. GET pages get random query strings.

Per request: no exception and no 500. When the form comes back (200/400): no row of any app
model was written (no partial save), an error is shown, no message in English, and every text
value the user typed is in the form again.
"""

import pytest
from django.db import transaction
from django.http import QueryDict
from django.test.client import MULTIPART_CONTENT
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import example, given, note
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from . import html_forms
from django.urls import reverse

from .conftest import ANONYMOUS_PAGES, MATRIX, Target, client_for, model_counts, role_for
from .strategies import bodies, clean_surrogates, english_messages, nasty_text, urlencoded

ENGLISH = english_messages()
KEPT_KINDS = {"text", "textarea", "email", "url", "tel", "search", "number", "date", "time",
              "datetime-local"}
QUERY_NAMES = ["pagina", "q", "school", "toon", "leerling", "schooljaar", "signal", "pupil",
               "uitgeschreven", "next", "stap", "status"]

pytestmark = pytest.mark.django_db


def check_page(response, where):
    """A page that answers: no server error, Dutch only."""
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if "html" not in response.get("Content-Type", ""):
        return None
    html = response.content.decode()
    english = [m for m in ENGLISH if m in html]
    assert not english, f"{where}: English messages on the page: {english}"
    return html


def send(client, target, pairs):
    if target.form.multipart:
        data = {}
        for name, value in pairs:
            if isinstance(value, tuple):
                value = SimpleUploadedFile(clean_surrogates(value[0]) or "leeg", value[1])
            else:
                value = clean_surrogates(value)
            data.setdefault(clean_surrogates(name), []).append(value)
        return client.post(target.url, data, content_type=MULTIPART_CONTENT)
    return client.post(target.url, urlencoded(pairs),
                       content_type="application/x-www-form-urlencoded")


def as_received(target, pairs) -> QueryDict:
    """The POST data as the server decodes it."""
    if target.form.multipart:
        q = QueryDict(mutable=True)
        for name, value in pairs:
            if isinstance(value, str):
                q.appendlist(clean_surrogates(name), clean_surrogates(value))
        return q
    return QueryDict(urlencoded(pairs))


def check_post(fw, target, pairs, response, counts_before):
    where = f"POST {target.name} {target.url} as {target.role}"
    html = check_page(response, where)
    if response.status_code not in (200, 400) or html is None:
        return
    counts = model_counts()
    changed = {m: (counts_before[m], counts[m]) for m in counts if counts[m] != counts_before[m]}
    assert not changed, f"{where}: answered {response.status_code} but wrote rows: {changed}"
    forms, errors = html_forms.parse(html)
    again = [f for f in forms if f.method == "post" and (f.action or target.url) == target.url]
    if not again:
        return
    assert errors, f"{where}: the form came back ({response.status_code}) without an error"
    received = as_received(target, pairs)
    form = again[0]
    for name, field in target.form.fields.items():
        if field.kind not in KEPT_KINDS or name not in received or name not in form.fields:
            continue
        if form.fields[name].disabled:
            continue  # a disabled field shows what is stored; nothing typed can be in it
        shown = form.fields[name].current
        typed = received.getlist(name)[-1]
        assert shown and shown[0] == typed, (
            f"{where}: field {name!r} lost the input {typed[:80]!r}, shows {shown[:1]!r}")


def fuzz_post(fw, target):
    state = {}

    def one(pairs):
        client = client_for(fw, target.role)
        with transaction.atomic():
            if "counts" not in state:  # every example starts from the same rolled-back state
                state["counts"] = model_counts()
            response = send(client, target, pairs)
            check_post(fw, target, pairs, response, state["counts"])
            transaction.set_rollback(True)

    # Always, whatever hypothesis draws: NUL in every text field (PostgreSQL refuses it in
    # text columns) and a digit int() refuses ("²".isdigit() is True) in every other field.
    one([(f.name, ("\x00" if f.kind in KEPT_KINDS and f.kind != "hidden" else "²")
          if f.kind != "file" else ("x.pdf", b"%PDF-1.4\n"))
         for f in target.form.fields.values() if f.name != "csrfmiddlewaretoken"])

    @given(data=st.data())
    def run(data):
        pairs = data.draw(bodies(target.form, fw.foreign_ids), label="body")
        note(f"POST {target.url} as {target.role}")
        one(pairs)

    run()


def fuzz_get(fw, url, role, extra_names):
    names = st.sampled_from(QUERY_NAMES + sorted(extra_names))

    @hsettings(max_examples=max(2, hsettings().max_examples // 3))
    @given(pairs=st.lists(st.tuples(st.one_of(names, nasty_text), nasty_text), max_size=4))
    # Always: every known parameter at once with NUL, a digit int() refuses, a huge number.
    @example(pairs=[(n, "a\x00b") for n in QUERY_NAMES + sorted(extra_names)])
    @example(pairs=[(n, "²") for n in QUERY_NAMES + sorted(extra_names)])
    @example(pairs=[(n, "99999999999999999999999") for n in QUERY_NAMES + sorted(extra_names)])
    def run(pairs):
        client = client_for(fw, role)
        query = urlencoded(pairs)
        with transaction.atomic():
            response = client.get(f"{url}?{query}")
            check_page(response, f"GET {url}?{query[:200]} as {role}")
            transaction.set_rollback(True)

    run()


# POST-only URLs whose form no page of the world shows (the world's case is at step 4 and
# its signal already in the case; the import confirmation follows an upload; the only
# bestuurder has nobody to add): fuzzed blind with the fields of their Django form.
BLIND = {
    "signals:acknowledge": {"next": "text"},
    "cases:move_forward": {"lock_version": "hidden", "reason": "textarea"},
    "cases:reopen": {"lock_version": "hidden", "reason": "textarea"},
    "specialroutes:staff_assign": {"user": "select"},
    "schools:pupil_import_confirm": {"school": "hidden", "payload": "hidden"},
}
NAMES = sorted(set(MATRIX) | set(ANONYMOUS_PAGES))


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_endpoint(name, fuzz_world, settings):
    fw = fuzz_world
    settings.MEDIA_ROOT = fw.world.media_root
    targets = [t for (method, _url), t in sorted(fw.targets.items())
               if t.name == name and method == "post"]
    for target in targets:
        fuzz_post(fw, target)
    if name in fw.pages:
        url, role = fw.pages[name]
        get_fields = {n for (method, u), t in fw.targets.items()
                      if method == "get" and u == url for n in t.form.fields}
        fuzz_get(fw, url, role, get_fields)
    elif not targets:
        # A POST-only URL whose form the world's pages do not show (e.g. acknowledging a
        # signal that is already in a case): fuzz it blind, with the matrix's role and body.
        method, args, expected, *rest = MATRIX[name]
        url = reverse(name, args=args(fw.world) if args else None)
        form = html_forms.Form(method="post", action=url, enctype="")
        for key, kind in BLIND[name].items():
            form.fields[key] = html_forms.Field(name=key, kind=kind)
        for key, value in (rest[0](fw.world) if rest else {}).items():
            form.fields[key] = html_forms.Field(name=key, kind="hidden", current=[str(value)])
        fuzz_post(fw, Target(name=name, url=url, role=role_for(expected, "post"), form=form,
                             page=url))


def test_every_post_url_has_a_form(fuzz_world):
    """The fuzzer reaches every POST-only URL of the matrix through a form on some page."""
    posted = {t.name for (method, _u), t in fuzz_world.targets.items() if method == "post"}
    post_only = {n for n, (method, *_r) in MATRIX.items() if method == "post"}
    # Fuzzed blind (see test_fuzz_endpoint): their form is not on any page of the world.
    assert post_only - posted <= set(BLIND)
    posts = [t for (method, _u), t in fuzz_world.targets.items() if method == "post"]
    print(f"\nfuzz targets: {len(posts)} POST forms on {len(posted)} URL names "
          f"(+{len(post_only - posted)} blind), {len(fuzz_world.pages)} pages fuzzed by GET, "
          f"{sum(len(t.form.fields) for t in posts)} form fields")
    assert len(posts) >= 50
