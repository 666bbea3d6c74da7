"""The scan: exactly once, crash recovery, resolved causes, ended roles, digest, e-mails,
and a query count that does not grow with the number of due items."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.workflow import close_case
from notifications.models import Kind, MailFrequency, MailPreference, Notification
from notifications.services import notify, send_daily_digest
from reminders import services
from reminders.models import CancelReason, Reminder
from reminders.services import run_scan
from reminders.tasks import scan_due_reminders
from reminders.tasks import send_daily_digest as digest_task
from schools.models import Membership
from schools.roles import Role
from tests.factories import staff

from .conftest import later, make_signal, open_case

pytestmark = pytest.mark.django_db

FUTURE = 15  # days: past the default 14-day term of step 1


def end_roles(user):
    Membership.objects.filter(user=user).update(
        starts_on=datetime.date(2020, 1, 1), ends_on=timezone.localdate() - datetime.timedelta(days=1))


def test_scanning_twice_sends_once(school, ib, mailoutbox, django_capture_on_commit_callbacks):
    case = open_case(school, ib)
    with django_capture_on_commit_callbacks(execute=True):
        first = run_scan(later(days=FUTURE))
    with django_capture_on_commit_callbacks(execute=True):
        second = run_scan(later(days=FUTURE, hours=1))
    assert (first.sent, second.sent) == (1, 0)
    assert Notification.objects.filter(user=ib, object_id=case.pk).count() == 1
    reminder = Reminder.objects.get()
    assert reminder.sent_at is not None and reminder.cancelled_at is None
    assert len(mailoutbox) == 1


def test_the_celery_task_runs_the_scan_in_eager_mode(school, ib):
    open_case(school, ib)
    with mock.patch("django.utils.timezone.now", return_value=later(days=FUTURE)):
        result = scan_due_reminders.delay().get()
    assert result["sent"] == 1
    assert Notification.objects.filter(user=ib, kind=Kind.STEP_TERM).count() == 1


def test_crash_between_claim_and_send_delivers_on_the_next_scan(school, ib, vc):
    open_case(school, ib)
    make_signal(school, ib, recorded_at=timezone.now() - datetime.timedelta(days=10))
    with mock.patch.object(services, "_deliver", side_effect=RuntimeError("worker died")):
        with pytest.raises(RuntimeError):
            run_scan(later(days=FUTURE))
    # the rows exist (inserted before the claim) but nothing was delivered or marked sent
    assert Reminder.objects.count() == 2
    assert not Reminder.objects.filter(sent_at__isnull=False).exists()
    assert not Notification.objects.exists()

    result = run_scan(later(days=FUTURE))
    assert result.sent == 2
    assert Notification.objects.count() == 2
    run_scan(later(days=FUTURE))
    assert Notification.objects.count() == 2


def test_a_resolved_cause_cancels_its_pending_reminder(school, ib):
    case = open_case(school, ib)
    with mock.patch.object(services, "_deliver", side_effect=RuntimeError("worker died")):
        with pytest.raises(RuntimeError):
            run_scan(later(days=FUTURE))
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 1
    close_case(case_id=case.pk, actor=ib, close_reason="geen_zorg", explanation="Opgelost.")

    result = run_scan(later(days=FUTURE))
    assert (result.sent, result.resolved) == (0, 1)
    reminder = Reminder.objects.get()
    assert reminder.sent_at is None and reminder.cancel_reason == CancelReason.RESOLVED
    assert not Notification.objects.exists()


def test_a_row_inserted_by_a_concurrent_scan_is_left_alone_not_cancelled(school, ib):
    # Another worker inserted this row after our scan collected its due items: not ours to judge.
    other = Reminder.objects.create(
        source="step_term", object_id=999, occurrence=timezone.now(), recipient=ib, school=school,
        roles="ib", kind=Kind.STEP_TERM, url="/dossiers/999/", due_at=timezone.now(),
        created_at=timezone.now() + datetime.timedelta(minutes=1))
    result = run_scan()
    other.refresh_from_db()
    assert (other.sent_at, other.cancelled_at, result.skipped) == (None, None, 1)


def test_recipient_whose_role_ended_before_sending_gets_nothing(school, ib, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    open_case(school, ib)
    with mock.patch.object(services, "_deliver", side_effect=RuntimeError("worker died")):
        with pytest.raises(RuntimeError):
            run_scan(later(days=FUTURE))
    end_roles(ib)
    # The cause is still due, but the recipient no longer holds the role: the scan no longer
    # counts them in, and the pending row is cancelled instead of delivered.
    with django_capture_on_commit_callbacks(execute=True):
        result = run_scan(later(days=FUTURE))
    assert result.sent == 0
    assert not Notification.objects.exists() and mailoutbox == []
    assert Reminder.objects.get().cancelled_at is not None


def test_role_checked_at_send_time(school, ib, vc):
    """A row collected while the VC held the role, delivered after the role ended."""
    open_case(school, ib)
    items, _failed = services.collect(later(days=30), [services.registry.get("step_term")])
    book = services.RoleBook.load(school_ids={school.pk}, user_ids={ib.pk},
                                  roles={Role.VC, *services.registry.get("step_term").user_roles})
    rows = services.expand(items, book, timezone.now() - datetime.timedelta(minutes=1))
    Reminder.objects.bulk_create(rows)
    end_roles(vc)
    result = services.ScanResult()
    services.deliver_pending(due_keys={r.key for r in rows}, scan_started=timezone.now(),
                             known_sources={"step_term"}, failed_sources=set(), boards={},
                             result=result)
    assert (result.sent, result.role_ended) == (1, 1)
    assert list(Notification.objects.values_list("user", flat=True)) == [ib.pk]
    assert Reminder.objects.get(recipient=vc).cancel_reason == CancelReason.ROLE_ENDED


def test_a_replaced_vc_gets_no_escalation_and_the_new_one_does(school, ib, vc):
    open_case(school, ib)
    end_roles(vc)
    new_vc = staff(Role.VC, school)
    run_scan(later(days=30))
    assert not Notification.objects.filter(user=vc).exists()
    assert Notification.objects.filter(user=new_vc, kind=Kind.STEP_ESCALATION).count() == 1


def test_a_failing_source_does_not_stop_the_others(school, ib):
    from reminders import sources as registry

    open_case(school, ib)

    def broken(now):
        raise RuntimeError("table missing")

    registry.register(registry.Source(name="broken_src", label="x", kind=Kind.REMINDER,
                                      due=broken))
    try:
        result = run_scan(later(days=FUTURE))
    finally:
        registry.unregister("broken_src")
    assert result.failed_sources == ["broken_src"] and result.sent == 1


# --- delivery: immediate, digest, content-free ------------------------------------------------

def test_immediate_mail_is_content_free(school, ib, mailoutbox, django_capture_on_commit_callbacks):
    case = open_case(school, ib)
    with django_capture_on_commit_callbacks(execute=True):
        run_scan(later(days=FUTURE))
    [mail] = mailoutbox
    text = mail.subject + mail.body
    assert mail.to == [ib.email]
    assert f"/dossiers/{case.pk}/" in mail.body
    for secret in (case.pupil.first_name, case.pupil.last_name, case.number, school.name):
        assert secret not in text
    assert "geen inhoud" in mail.body


def test_several_reminders_make_one_mail_with_a_count(school, ib, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    cases = [open_case(school, ib) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        run_scan(later(days=FUTURE))
    [mail] = mailoutbox
    assert "3 herinneringen" in mail.body and "/meldingen/" in mail.body
    for case in cases:
        assert case.pupil.last_name not in mail.body and case.number not in mail.body


def test_digest_users_get_no_immediate_mail_but_one_daily_digest(
        school, ib, vc, mailoutbox, django_capture_on_commit_callbacks):
    MailPreference.objects.create(user=ib, frequency=MailFrequency.DAILY)
    cases = [open_case(school, ib) for _ in range(2)]
    make_signal(school, vc, recorded_at=timezone.now() - datetime.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        run_scan(later(days=FUTURE))
    assert mailoutbox == []  # ib chose the digest; the signal's recorder (vc) is not reminded
    assert Notification.objects.filter(user=ib, digest_pending=True).count() == 3

    Notification.objects.filter(user=ib, object_type="cases.case", object_id=cases[0].pk).update(
        read_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        digest_task.delay()
    [mail] = mailoutbox
    assert mail.to == [ib.email]
    assert "2 nieuwe meldingen" in mail.body and "/meldingen/" in mail.body
    for case in cases:
        assert case.number not in mail.body and case.pupil.last_name not in mail.body
    assert not Notification.objects.filter(digest_pending=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digest()["mails"] == 0
    assert len(mailoutbox) == 1


def test_digest_skips_someone_whose_role_ended(school, ib, mailoutbox,
                                               django_capture_on_commit_callbacks):
    MailPreference.objects.create(user=ib, frequency=MailFrequency.DAILY)
    open_case(school, ib)
    run_scan(later(days=FUTURE))
    end_roles(ib)
    with django_capture_on_commit_callbacks(execute=True):
        send_daily_digest()
    assert mailoutbox == []


# --- notify(): the helper other apps use --------------------------------------------------------

def test_notify_skips_users_without_a_role_and_respects_the_digest(
        school, ib, vc, teacher, mailoutbox, django_capture_on_commit_callbacks):
    MailPreference.objects.create(user=vc, frequency=MailFrequency.DAILY)
    end_roles(teacher)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(users=[ib, vc, teacher], kind=Kind.NEW_SIGNAL, url="/signalen/1/",
                      school=school)
    assert {r.user for r in rows} == {ib, vc}
    assert [m.to for m in mailoutbox] == [[ib.email]]
    assert Notification.objects.get(user=vc).digest_pending


def test_notify_board_role_counts_at_the_boards_schools(school, other_school):
    bestuur = staff(Role.BESTUUR, board=school.board)
    assert len(notify(users=[bestuur], kind=Kind.ACUTE, url="/x/", school=school)) == 1
    assert notify(users=[bestuur], kind=Kind.ACUTE, url="/x/", school=other_school) == []


# --- query count ------------------------------------------------------------------------------

def _scan_queries(n, school, ib):
    from cases.models import Case
    from signals.models import Signal

    Case.objects.all().delete()
    Signal.objects.all().delete()
    Reminder.objects.all().delete()
    Notification.objects.all().delete()
    for _ in range(n):
        open_case(school, ib)
        make_signal(school, ib, recorded_at=timezone.now() - datetime.timedelta(days=10))
    with CaptureQueriesContext(connection) as ctx:
        result = run_scan(later(days=FUTURE))
    # the owner per case (level 1), the VC per signal (the IB'er recorded it)
    assert result.sent == 2 * n
    return len(ctx)


def test_scan_query_count_does_not_grow_with_due_items(school, ib, vc, director):
    """1 vs 25 cases and signals. (On SQLite Django splits a bulk insert at 999 parameters,
    about 66 reminders; PostgreSQL inserts any number in one statement: see bench/.)"""
    one = _scan_queries(1, school, ib)
    many = _scan_queries(25, school, ib)
    assert one == many, (one, many)
    assert one <= 60
