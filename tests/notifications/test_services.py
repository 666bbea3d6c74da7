"""``role_holders`` and ``notify_role_holders``: the same rules as ``notify``, in one query."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from notifications.models import Kind, MailFrequency, MailPreference, Notification
from notifications.services import notify, notify_role_holders, role_holders
from schools.roles import Role
from tests.factories import MembershipFactory, SchoolFactory, staff

pytestmark = pytest.mark.django_db


def test_holders_in_role_order_then_by_id_once_each(school):
    vc = staff(Role.VC, school)
    ib = staff(Role.IB, school)
    both = staff(Role.VC, school)
    MembershipFactory(user=both, school=school, role=Role.IB)
    assert [u for u, _d in role_holders(school, [Role.IB, Role.VC])] == [ib, both, vc]
    assert [u for u, _d in role_holders(school, [Role.VC, Role.IB])] == [vc, both, ib]


def test_only_roles_in_force_at_the_school_or_its_board(school):
    ib = staff(Role.IB, school)
    bestuur = staff(Role.BESTUUR, board=school.board)
    staff(Role.IB, SchoolFactory(board=school.board))  # a sister school of the same board
    staff(Role.BESTUUR)  # another board
    staff(Role.IB, school, is_active=False)
    ended = staff(Role.IB, school)
    ended.memberships.update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
    staff(Role.LEERKRACHT, school)

    assert role_holders(school, [Role.IB, Role.BESTUUR]) == [(ib, False), (bestuur, False)]
    assert role_holders(school, [Role.IB], exclude_user_id=ib.pk) == []


def test_digest_only_when_asked(school):
    ib = staff(Role.IB, school)
    MailPreference.objects.create(user=ib, frequency=MailFrequency.DAILY)
    assert role_holders(school, [Role.IB]) == [(ib, False)]
    assert role_holders(school, [Role.IB], with_digest=True) == [(ib, True)]


@pytest.mark.parametrize("email", [True, False])
def test_notify_role_holders_matches_notify(school, email, mailoutbox,
                                            django_capture_on_commit_callbacks):
    ib, vc, director = staff(Role.IB, school), staff(Role.VC, school), staff(Role.DIRECTEUR, school)
    MailPreference.objects.create(user=vc, frequency=MailFrequency.DAILY)
    fields = ("user_id", "kind", "url", "school_id", "object_type", "object_id",
              "digest_pending")

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[ib, vc], kind=Kind.NEW_SIGNAL, url="/signalen/1/", school=school,
               obj=director, email=email)
    expected = list(Notification.objects.order_by("pk").values_list(*fields))
    expected_mail = [(m.to, m.subject, m.body) for m in mailoutbox]
    Notification.objects.all().delete()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        rows = notify_role_holders(school=school, roles=[Role.IB, Role.VC],
                                   kind=Kind.NEW_SIGNAL, url="/signalen/1/", obj=director,
                                   exclude_user_id=director.pk, email=email)

    assert [r.user for r in rows] == [ib, vc]
    assert list(Notification.objects.order_by("pk").values_list(*fields)) == expected
    assert [(m.to, m.subject, m.body) for m in mailoutbox] == expected_mail
    assert len(expected_mail) == (1 if email else 0)


def test_one_mail_task_per_event_and_one_mail_per_recipient(school, mailoutbox,
                                                             django_capture_on_commit_callbacks):
    """All recipients of one notification go in one task; each still gets a mail of their
    own (their address only), and who chose the digest gets none."""
    from core import tasks
    from notifications.services import MAIL_SUBJECT, mail_body

    ib, vc, director = staff(Role.IB, school), staff(Role.VC, school), staff(Role.DIRECTEUR, school)
    MailPreference.objects.create(user=vc, frequency=MailFrequency.DAILY)
    with mock.patch.object(tasks.send_plain_emails, "delay",
                           wraps=tasks.send_plain_emails.delay) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            notify_role_holders(school=school, roles=[Role.IB, Role.VC, Role.DIRECTEUR],
                                kind=Kind.ACUTE, url="/signalen/3/")
    assert delay.call_count == 1
    body = mail_body(str(Kind.ACUTE.label), "/signalen/3/")
    assert [(m.to, m.subject, m.body) for m in mailoutbox] == [
        ([ib.email], MAIL_SUBJECT, body), ([director.email], MAIL_SUBJECT, body)]
    assert "/signalen/3/" in body and str(Kind.ACUTE.label) in body


def test_a_refused_mail_is_retried_alone(mailoutbox):
    """One refused address neither holds up the others nor makes them go twice."""
    from smtplib import SMTPRecipientsRefused

    from celery.exceptions import Retry
    from django.core.mail import EmailMessage

    from core.tasks import send_plain_emails

    original = EmailMessage.send
    refused = []

    def send(message, *args, **kwargs):
        if message.to == ["b@school.invalid"] and not refused:
            refused.append(message.to)
            raise SMTPRecipientsRefused({"b@school.invalid": (450, b"try later")})
        return original(message, *args, **kwargs)

    mails = [("a@school.invalid", "A"), ("b@school.invalid", "B"), ("c@school.invalid", "C")]
    with mock.patch.object(EmailMessage, "send", send):
        with pytest.raises(Retry) as retry:
            send_plain_emails.apply(args=("Onderwerp", mails))
        assert [(m.to, m.body) for m in mailoutbox] == [
            (["a@school.invalid"], "A"), (["c@school.invalid"], "C")]
        assert retry.value.sig.args == ("Onderwerp", [("b@school.invalid", "B")])
        retry.value.sig.apply()  # the worker's retry, a minute later
    assert refused == [["b@school.invalid"]]
    assert [(m.to, m.body) for m in mailoutbox] == [
        (["a@school.invalid"], "A"), (["c@school.invalid"], "C"), (["b@school.invalid"], "B")]
