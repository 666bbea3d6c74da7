"""Defects the fuzzer found, pinned with the smallest request that showed them."""

import pytest
from django.urls import reverse

from core.forms import HiddenFieldErrorsMixin

from . import html_forms
from .conftest import client_for

pytestmark = pytest.mark.django_db

HIDDEN_MESSAGE = str(HiddenFieldErrorsMixin.hidden_field_error)


def _post(fw, role, url, data):
    response = client_for(fw, role).post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    forms, errors = html_forms.parse(html)
    return html, forms, errors


@pytest.mark.parametrize("hidden", [None, "", "abc", "-5", "1e30"])
def test_signal_correction_with_bad_base_number_says_why(fuzz_world, hidden):
    """A missing or altered hidden ``base_number`` brought the form back without a message."""
    fw = fuzz_world
    url = reverse("signals:correct", args=[fw.world.obj["signal"].pk])
    data = {"facts": "Nieuwe feiten", "reason": "Tikfout"}
    if hidden is not None:
        data["base_number"] = hidden
    html, forms, errors = _post(fw, "ib", url, data)
    assert errors and HIDDEN_MESSAGE in html.replace("&#x27;", "'")
    form = next(f for f in forms if f.action in (None, url) and "facts" in f.fields)
    assert form.fields["facts"].current == ["Nieuwe feiten"]
    assert form.fields["reason"].current == ["Tikfout"]


def test_step_action_without_lock_version_says_why(fuzz_world):
    fw = fuzz_world
    url = reverse("cases:move_back", args=[fw.world.obj["case"].pk])
    html, _forms, errors = _post(fw, "ib", url, {"terug-target": "3",
                                                 "terug-reason": "Te vroeg"})
    assert errors and HIDDEN_MESSAGE in html.replace("&#x27;", "'")
    assert "Te vroeg" in html


def test_sot_discussion_with_bad_lock_version_says_why(fuzz_world):
    fw = fuzz_world
    url = reverse("cases:sot_discussion_edit",
                  args=[fw.world.obj["meeting"].pk, fw.world.obj["discussion"].pk])
    html, _forms, errors = _post(fw, "ib", url, {"lock_version": "x",
                                                 "agreed_approach": "Afspraak"})
    assert errors and HIDDEN_MESSAGE in html.replace("&#x27;", "'")
    assert "Afspraak" in html


def test_hidden_errors_do_not_add_a_message_when_there_is_one():
    from django import forms

    class F(HiddenFieldErrorsMixin, forms.Form):
        v = forms.IntegerField(widget=forms.HiddenInput)

        def clean(self):
            raise forms.ValidationError("eigen melding")

    form = F({"v": "x"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["eigen melding"]
    assert F({"v": "1"}).non_field_errors() == ["eigen melding"]
    assert F({}).non_field_errors() == ["eigen melding"]


def test_hidden_errors_become_one_form_error():
    from django import forms

    class F(HiddenFieldErrorsMixin, forms.Form):
        v = forms.IntegerField(widget=forms.HiddenInput)
        text = forms.CharField()

    assert F({"v": "x", "text": "a"}).non_field_errors() == [HIDDEN_MESSAGE]
    assert F({"text": "a"}).non_field_errors() == [HIDDEN_MESSAGE]
    assert F({"v": "1"}).non_field_errors() == []  # a visible field's error shows at the field
    assert F({"v": "1", "text": "a"}).is_valid()


@pytest.mark.parametrize("query", ["a\x00b", "\x00"])
def test_pupil_search_with_nul_byte(fuzz_world, query):
    """PostgreSQL raised DataError (a 500) on a NUL byte in the search box's ``q``."""
    fw = fuzz_world
    url = reverse("schools:pupil_list", args=[fw.world.obj["school"].pk])
    client = client_for(fw, "directeur")
    assert client.post(url, {"q": query}).status_code == 302  # kept in the session
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("value", ["²", "¹²", "Ⅻ"])
def test_inzage_pupil_choice_with_non_ascii_digit(fuzz_world, value):
    """``"²".isdigit()`` is True but ``int("²")`` raises: choosing such a "pupil" gave a 500."""
    response = client_for(fuzz_world, "ib").get(reverse("exports:inzage_list"),
                                                {"leerling": value})
    assert response.status_code == 200


def test_inzage_pupil_choice_with_digits_still_redirects(fuzz_world):
    pupil = fuzz_world.world.obj["pupil"]
    response = client_for(fuzz_world, "ib").get(reverse("exports:inzage_list"),
                                                {"leerling": str(pupil.pk)})
    assert response.status_code == 302
    assert response.url == reverse("exports:inzage_new", args=[pupil.pk])


@pytest.mark.parametrize("name,role,arg", [("signals:mine", "recorder", None),
                                           ("signals:triage", "ib", None),
                                           ("cases:access_log", "ib", "case")])
def test_page_number_past_the_integer_range(fuzz_world, name, role, arg):
    """``?pagina=99999999999999999999999`` gave an offset SQLite ("datatype mismatch") and
    PostgreSQL ("bigint out of range") refuse: a 500 on the pages without a COUNT."""
    args = [fuzz_world.world.obj[arg].pk] if arg else None
    response = client_for(fuzz_world, role).get(reverse(name, args=args),
                                                {"pagina": "99999999999999999999999"})
    assert response.status_code == 200


@pytest.mark.parametrize("name, arg, role", [
    ("retention:hold_add", "case", "directeur"),
    ("schools:pupil_create", "school", "beheerder"),
    ("specialroutes:acute_create", None, "teacher"),
])
def test_an_empty_submit_says_which_fields_are_required(fuzz_world, name, arg, role):
    """``Form(request.POST or None)`` made an empty POST an unbound form: back without a word."""
    fw = fuzz_world
    url = reverse(name, args=[fw.world.obj[arg].pk] if arg else [])
    html, _forms, errors = _post(fw, role, url, {})
    assert errors


def test_case_number_lookup_with_a_nul_byte_is_no_error(fuzz_world):
    """``?dossier=a%00b`` on the retention list reached PostgreSQL: 500 (DataError)."""
    response = client_for(fuzz_world, "vc").get(reverse("retention:proposals"),
                                                {"dossier": "a\x00b"})
    assert response.status_code == 200
