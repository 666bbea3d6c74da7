"""core.auth.ModelBackend: Django's ModelBackend with the signed-in user loaded by hand."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.urls import reverse

from core.auth import ModelBackend

pytestmark = pytest.mark.django_db


def _fields(user):
    return {f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields}


def test_it_loads_the_same_user_as_django(teacher, django_assert_num_queries):
    teacher.last_login = None
    teacher.save()
    for value in (teacher.pk, str(teacher.pk)):
        with django_assert_num_queries(1):
            ours = ModelBackend().get_user(value)
        theirs = DjangoModelBackend().get_user(value)
        assert _fields(ours) == _fields(theirs)
        assert {k: type(v) for k, v in _fields(ours).items()} == {
            k: type(v) for k, v in _fields(theirs).items()}
        assert ours._state.adding is False and ours._state.db == "default"
    # A login stamps last_login: a datetime with its time zone, as the ORM gives it.
    get_user_model().objects.filter(pk=teacher.pk).update(last_login="2026-11-29T08:30:00Z")
    assert _fields(ModelBackend().get_user(teacher.pk)) == _fields(
        DjangoModelBackend().get_user(teacher.pk))


def test_no_user_for_a_missing_an_inactive_or_a_malformed_id(teacher):
    assert ModelBackend().get_user(teacher.pk + 1000) is None
    assert ModelBackend().get_user("niet-een-nummer") is None
    assert ModelBackend().get_user(None) is None
    get_user_model().objects.filter(pk=teacher.pk).update(is_active=False)
    assert ModelBackend().get_user(teacher.pk) is None


def test_a_saved_loaded_user_keeps_its_password(teacher, client):
    teacher.set_password("een-lang-wachtwoord-12")
    teacher.save()
    user = ModelBackend().get_user(teacher.pk)
    user.first_name = "Nieuw"
    user.save()
    assert get_user_model().objects.get(pk=teacher.pk).check_password("een-lang-wachtwoord-12")


def test_signed_in_pages_use_it_and_a_password_change_ends_other_sessions(
        verified_client, teacher, settings):
    verified_client.force_login(teacher)
    assert verified_client.session["_auth_user_backend"] == "core.auth.ModelBackend"
    assert verified_client.get(reverse("core:dashboard")).status_code == 200
    teacher.set_password("een-ander-wachtwoord-34")
    teacher.save()
    # The session's hash no longer matches: Django's check still runs on our user.
    response = verified_client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and "/account/" in response["Location"]
