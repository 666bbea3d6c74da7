"""Each registered source: due, not yet due, resolved; escalation levels; working days."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from cases.models import Route, Step, VerwijsindexRegistration
from cases.workflow import close_case
from notifications.models import Kind, Notification
from reminders import sources as registry
from reminders.builtin import signal_ack_due, step_term_due, vir_review_due
from reminders.models import Reminder, StepTerm
from reminders.services import run_scan
from schools.models import Membership
from schools.roles import Role
from tests.factories import staff

from .conftest import later, local, make_signal, open_case

pytestmark = pytest.mark.django_db


def kinds_for(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- registry -------------------------------------------------------------------------------

def test_builtin_sources_are_registered():
    names = {s.name for s in registry.registered()}
    assert {"step_term", "signal_unacknowledged", "vir_review"} <= names


def test_register_replaces_by_name_and_rejects_long_names():
    source = registry.Source(name="test_src", label="x", kind=Kind.REMINDER, due=lambda now: [])
    try:
        registry.register(source)
        registry.register(source)
        assert [s.name for s in registry.registered()].count("test_src") == 1
        with pytest.raises(ValueError):
            registry.register(registry.Source(name="x" * 41, label="x", kind=Kind.REMINDER,
                                              due=lambda now: []))
    finally:
        registry.unregister("test_src")


# --- step term (R52) ------------------------------------------------------------------------

def test_case_within_its_term_is_not_due(school, ib):
    open_case(school, ib)
    assert list(step_term_due(later(days=13))) == []


def test_escalation_levels_owner_then_vc_then_director(school, ib, vc, director):
    case = open_case(school, ib)
    run_scan(later(days=15))
    assert kinds_for(ib) == [Kind.STEP_TERM]
    assert kinds_for(vc) == [] and kinds_for(director) == []

    run_scan(later(days=29))
    assert kinds_for(vc) == [Kind.STEP_ESCALATION]
    assert kinds_for(director) == []

    run_scan(later(days=43))
    assert kinds_for(director) == [Kind.STEP_ESCALATION]
    # each level once: a later scan sends nothing new
    run_scan(later(days=80))
    assert Notification.objects.count() == 3
    assert set(Reminder.objects.values_list("level", flat=True)) == {1, 2, 3}
    assert set(Notification.objects.values_list("url", flat=True)) == {f"/dossiers/{case.pk}/"}


def test_first_scan_after_a_long_stay_sends_every_level_reached(school, ib, vc, director):
    open_case(school, ib)
    run_scan(later(days=50))
    assert (kinds_for(ib), kinds_for(vc), kinds_for(director)) == (
        [Kind.STEP_TERM], [Kind.STEP_ESCALATION], [Kind.STEP_ESCALATION])


def test_school_term_overrides_the_default_and_per_step(school, other_school, ib):
    StepTerm.objects.create(school=school, step=Step.SIGNALEN, days=3)
    StepTerm.objects.create(school=other_school, step=Step.SIGNALEN, days=30)
    other_ib = staff(Role.IB, other_school)
    mine, theirs = open_case(school, ib), open_case(other_school, other_ib)
    due = {d.object_id for d in step_term_due(later(days=4))}
    assert due == {mine.pk}
    due = {d.object_id for d in step_term_due(later(days=20))}
    assert due == {mine.pk}  # the other school's 30 days have not passed
    assert {d.object_id for d in step_term_due(later(days=31))} == {mine.pk, theirs.pk}


def test_moving_on_resolves_the_step_term(school, ib):
    case = open_case(school, ib)
    assert [d.object_id for d in step_term_due(later(days=15))] == [case.pk]
    close_case(case_id=case.pk, actor=ib, close_reason="geen_zorg",
               explanation="Zorg weggenomen.")
    assert list(step_term_due(later(days=15))) == []


def test_staff_route_case_does_not_escalate_to_school_roles(school, ib, vc, director):
    bestuur = staff(Role.BESTUUR, board=school.board)
    open_case(school, ib, owner=bestuur, route=Route.STAFF)
    run_scan(later(days=60))
    assert kinds_for(bestuur) == [Kind.STEP_TERM]
    assert kinds_for(vc) == [] and kinds_for(director) == []


# --- signal not acknowledged within two school days ------------------------------------------

def test_signal_due_after_two_working_days_with_a_dutch_holiday(school, teacher, ib, vc):
    # Friday 24 April 2026 10:00; Monday 27 April is Koningsdag: due Wednesday 29 April 10:00.
    signal = make_signal(school, teacher, recorded_at=local(2026, 4, 24, 10))
    assert list(signal_ack_due(local(2026, 4, 28, 18))) == []
    assert list(signal_ack_due(local(2026, 4, 29, 9, 59))) == []
    due = list(signal_ack_due(local(2026, 4, 29, 10)))
    assert [(d.object_id, d.due_at) for d in due] == [(signal.pk, local(2026, 4, 29, 10))]

    run_scan(local(2026, 4, 29, 11))
    assert kinds_for(ib) == [Kind.SIGNAL_UNSEEN] and kinds_for(vc) == [Kind.SIGNAL_UNSEEN]
    assert kinds_for(teacher) == []
    assert Notification.objects.filter(user=ib).get().url == f"/signalen/{signal.pk}/"


def test_acknowledged_and_staff_suspect_signals_are_not_chased(school, teacher, ib):
    from signals.services import signal_acknowledge

    seen = make_signal(school, teacher, recorded_at=local(2026, 3, 2))
    make_signal(school, teacher, recorded_at=local(2026, 3, 2), staff_suspect=True)
    signal_acknowledge(signal=seen, actor=ib)
    assert list(signal_ack_due(local(2026, 3, 10))) == []


def test_the_recorder_is_not_reminded_of_their_own_signal(school, ib, vc):
    make_signal(school, ib, recorded_at=local(2026, 3, 2))
    run_scan(local(2026, 3, 10))
    assert kinds_for(ib) == [] and kinds_for(vc) == [Kind.SIGNAL_UNSEEN]


# --- Verwijsindex review (R44) -----------------------------------------------------------------

def _vir(case, author, review_on, **fields):
    record = VerwijsindexRegistration(case=case, step=case.step, occurred_on=timezone.localdate(),
                                      author=author, review_on=review_on, **fields)
    record._history_user = author
    record.save()
    return record


def test_vir_review_due_thirty_days_ahead_until_withdrawn(school, ib):
    case = open_case(school, ib)
    today = timezone.localdate()
    soon = _vir(case, ib, today + datetime.timedelta(days=20))
    _vir(case, ib, today + datetime.timedelta(days=400))
    _vir(case, ib, today + datetime.timedelta(days=5), withdrawn_on=today)
    assert [d.object_id for d in vir_review_due(timezone.now())] == [soon.pk]

    run_scan()
    note = Notification.objects.get(user=ib)
    assert note.kind == Kind.VIR_REVIEW
    assert note.url == f"/dossiers/{case.pk}/verwijsindex/{soon.pk}/"


# --- afwegingskader and specialroutes (registered when their models exist) -------------------

def _table_exists(app_label, model_name):
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    return model if model._meta.db_table in connection.introspection.table_names() else None


def test_afwegingskader_sources_registered_when_the_app_has_its_models():
    if _table_exists("afwegingskader", "VeiligThuisReport") is None:
        pytest.skip("afwegingskader models not migrated")
    names = {s.name for s in registry.registered()}
    assert {"vt_safety_feedback", "vt_investigation_feedback", "help_evaluation",
            "follow_up_action", "monitoring_review"} <= names


def test_follow_up_action_due_until_done(school, ib, teacher):
    action_model = _table_exists("afwegingskader", "FollowUpAction")
    if action_model is None or registry.get("follow_up_action") is None:
        pytest.skip("afwegingskader follow-up actions not available")
    case = open_case(school, ib)
    today = timezone.localdate()
    action = action_model(case=case, cycle=case.cycle, author=ib, description="Geheime actie",
                          owner=teacher, due_on=today - datetime.timedelta(days=1))
    action._history_user = ib
    action.save()
    action_model(case=case, cycle=case.cycle, author=ib, description="later", owner=teacher,
                 due_on=today + datetime.timedelta(days=3)).save()
    source = registry.get("follow_up_action")
    assert [d.object_id for d in source.due(timezone.now())] == [action.pk]
    run_scan()
    assert kinds_for(teacher) == [Kind.FOLLOW_UP]
    action.done_on = today
    action.save()
    assert list(source.due(timezone.now())) == []


def test_acute_retrospective_reminds_caller_then_director(school, teacher, ib, director):
    call_model = _table_exists("specialroutes", "AcuteCall")
    if call_model is None or registry.get("acute_retrospective") is None:
        pytest.skip("specialroutes acute calls not available")
    case = open_case(school, ib)
    called_at = timezone.now()
    call = call_model.objects.create(
        case=case, school=school, called_by=teacher, called_party="112", called_at=called_at,
        retrospective_due_at=called_at + datetime.timedelta(hours=24))
    run_scan(called_at + datetime.timedelta(hours=10))
    assert kinds_for(teacher) == []
    run_scan(called_at + datetime.timedelta(hours=19))
    assert kinds_for(teacher) == [Kind.ACUTE_RETROSPECTIVE] and kinds_for(director) == []
    run_scan(called_at + datetime.timedelta(hours=25))
    assert kinds_for(director) == [Kind.ACUTE_RETROSPECTIVE]
    call_model.objects.filter(pk=call.pk).update(retrospective_entered_at=timezone.now())
    assert list(registry.get("acute_retrospective").due(
        called_at + datetime.timedelta(hours=30))) == []


def test_role_ended_owner_is_not_a_recipient(school, ib):
    open_case(school, ib)
    Membership.objects.filter(user=ib).update(ends_on=timezone.localdate()
                                              - datetime.timedelta(days=1))
    run_scan(later(days=15))
    assert kinds_for(ib) == []
    assert not Reminder.objects.exists()
