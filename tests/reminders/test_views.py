"""The e-mail preference page and the beheerder's terms screen: access, saving, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Step
from notifications.models import MailFrequency, MailPreference
from reminders.models import StepTerm
from schools.models import Membership
from schools.roles import Role
from tests.factories import SchoolFactory, UserFactory, staff

pytestmark = pytest.mark.django_db

PREFS = reverse("reminders:preferences")
TERMS = reverse("reminders:terms")


def edit_url(school):
    return reverse("reminders:terms_edit", args=[school.pk])


def terms_post(**overrides):
    data = {"step_1": 14, "step_2": 14, "step_3": 14, "step_4": 21, "step_5": 14, "step_6": 90}
    data.update(overrides)
    return data


# --- preferences ------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    assert client.get(PREFS).status_code == 302
    assert client.get(TERMS).status_code == 302


def test_preference_defaults_to_immediate_and_can_be_changed(verified_client, ib):
    verified_client.force_login(ib)
    response = verified_client.get(PREFS)
    assert response.status_code == 200
    assert response.context["form"].initial["frequency"] == MailFrequency.IMMEDIATE
    response = verified_client.post(PREFS, {"frequency": MailFrequency.DAILY})
    assert response.status_code == 302
    assert MailPreference.objects.get(user=ib).frequency == MailFrequency.DAILY


def test_invalid_preference_shows_a_dutch_error_and_saves_nothing(verified_client, ib):
    verified_client.force_login(ib)
    response = verified_client.post(PREFS, {"frequency": "elk-uur"})
    assert response.status_code == 200
    assert "Selecteer een geldige keuze" in response.content.decode()
    assert not MailPreference.objects.exists()


def test_user_without_a_role_gets_403_on_preferences(verified_client):
    user = UserFactory()
    verified_client.force_login(user)
    assert verified_client.get(PREFS).status_code == 403


# --- terms: access ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.LEERKRACHT, Role.IB, Role.VC, Role.DIRECTEUR, Role.SOT])
def test_school_roles_get_403_on_the_terms(verified_client, school, role):
    user = staff(role, school)
    verified_client.force_login(user)
    assert verified_client.get(TERMS).status_code == 403
    assert verified_client.get(edit_url(school)).status_code == 403
    assert verified_client.post(edit_url(school), terms_post(step_1=3)).status_code == 403
    assert not StepTerm.objects.exists()


def test_bestuurder_gets_403(verified_client, school):
    verified_client.force_login(staff(Role.BESTUUR, board=school.board))
    assert verified_client.get(TERMS).status_code == 403


def test_other_boards_school_is_404_for_a_beheerder(verified_client, beheerder, other_school):
    verified_client.force_login(beheerder)
    assert verified_client.get(edit_url(other_school)).status_code == 404
    assert verified_client.post(edit_url(other_school),
                                terms_post(step_1=3)).status_code == 404
    assert not StepTerm.objects.exists()


def test_ended_beheerder_role_gets_403(verified_client, beheerder, school):
    Membership.objects.filter(user=beheerder).update(
        starts_on=datetime.date(2020, 1, 1), ends_on=timezone.localdate() - datetime.timedelta(days=1))
    verified_client.force_login(beheerder)
    assert verified_client.get(TERMS).status_code == 403


# --- terms: the screen ------------------------------------------------------------------------

def test_beheerder_sees_own_boards_schools_terms_and_the_schedule(verified_client, beheerder,
                                                                   school, other_school):
    StepTerm.objects.create(school=school, step=Step.WEGEN, days=30)
    verified_client.force_login(beheerder)
    response = verified_client.get(TERMS)
    assert response.status_code == 200
    html = response.content.decode()
    assert school.name in html and other_school.name not in html
    [row] = response.context["rows"]
    assert [t["days"] for t in row["terms"]] == [14, 14, 14, 30, 14, 90]
    assert [t["default"] for t in row["terms"]] == [True, True, True, False, True, True]
    # the beat schedule from the settings, in Dutch
    assert "Herinneringen zoeken en versturen" in html
    assert "elke 5 minuten" in html
    assert "dagelijks om 07:00" in html
    # what is chased
    assert "Signaal niet gezien binnen twee schooldagen" in html


def test_schedule_shows_the_scheduler_table_when_beat_ran(verified_client, beheerder, school):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=600, period="seconds")
    PeriodicTask.objects.create(name="herinneringen-scannen", interval=every, enabled=False,
                                task="reminders.tasks.scan_due_reminders",
                                last_run_at=timezone.now())
    verified_client.force_login(beheerder)
    html = verified_client.get(TERMS).content.decode()
    assert "elke 10 minuten" in html and "uitgeschakeld" in html


def test_beheerder_changes_a_schools_terms(verified_client, beheerder, school):
    verified_client.force_login(beheerder)
    response = verified_client.get(edit_url(school))
    assert response.status_code == 200
    assert response.context["form"].initial["step_4"] == 21

    response = verified_client.post(edit_url(school), terms_post(step_1=7, step_6=60))
    assert response.status_code == 302 and response.url == TERMS
    assert dict(StepTerm.objects.filter(school=school).values_list("step", "days")) == {1: 7,
                                                                                        6: 60}
    term = StepTerm.objects.get(school=school, step=1)
    assert term.history.latest().history_user == beheerder

    # back to the default removes the school's own term
    verified_client.post(edit_url(school), terms_post(step_6=60))
    assert dict(StepTerm.objects.filter(school=school).values_list("step", "days")) == {6: 60}


def test_bad_term_keeps_the_input_and_saves_nothing(verified_client, beheerder, school):
    verified_client.force_login(beheerder)
    response = verified_client.post(edit_url(school), terms_post(step_1=0, step_2=9))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zorg ervoor dat deze waarde minstens 1 is." in html
    assert 'value="9"' in html
    assert not StepTerm.objects.exists()


def test_terms_page_queries_do_not_grow_with_schools(verified_client, beheerder, school):
    verified_client.force_login(beheerder)
    verified_client.get(TERMS)  # warm: the role cache of this test

    def count(n):
        StepTerm.objects.all().delete()
        for _ in range(n):
            extra = SchoolFactory(board=school.board)
            StepTerm.objects.create(school=extra, step=Step.SIGNALEN, days=5)
        with CaptureQueriesContext(connection) as ctx:
            assert verified_client.get(TERMS).status_code == 200
        return len(ctx)

    one, many = count(1), count(24)
    assert one == many, (one, many)
    assert many <= 10  # was 12 before role permissions were cached and sessions saved per minute
