"""Writing notifications, and the content-free e-mails that point at them.

Three rules hold for every path that reaches a user (``notify`` and the reminders app):
- nothing goes to someone who no longer holds a role (an active ``Membership`` at the school,
  or for board roles at its board) or whose account is switched off;
- e-mails say only *that* something awaits and link to it (ids only in the link);
- the user chooses per ``MailPreference`` between an e-mail at once and one daily digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core import fragments, versions
from core.tasks import send_plain_email, send_plain_emails
from schools.models import Membership

from .models import Kind, MailFrequency, MailPreference, Notification

MAIL_SUBJECT = gettext_noop("Meldcode: er staat iets voor u klaar")
MAIL_FOOTER = gettext_noop("Deze e-mail bevat bewust geen inhoud over leerlingen.")


def _school_q(school) -> Q:
    """Memberships that count at ``school``: a role there, or a board role at its board."""
    if school is None:
        return Q()
    board_id = getattr(school, "board_id", None)
    school_id = getattr(school, "pk", school)
    if board_id is None:
        from schools.models import School

        board_id = School.objects.filter(pk=school_id).values_list("board_id", flat=True).first()
    return Q(school_id=school_id) | Q(school__isnull=True, board_id=board_id)


def users_holding_a_role(users: Iterable, school=None) -> list:
    """``users`` who are active and hold a role today at ``school`` (any school if None).

    One query. Order is kept; duplicates are dropped.
    """
    users = list({u.pk: u for u in users}.values())
    if not users:
        return []
    holding = set(Membership.objects.active().filter(_school_q(school))
                  .filter(user_id__in=[u.pk for u in users], user__is_active=True)
                  .values_list("user_id", flat=True))
    return [u for u in users if u.pk in holding]


def role_holders(school, roles: Sequence[str], *, exclude_user_id: int | None = None,
                 with_digest: bool = False) -> list[tuple[object, bool]]:
    """The users who hold one of ``roles`` today at ``school`` (a role there, or a board role
    at its board: where ``notify`` counts roles) and whose account is active, each with
    whether they chose the daily digest (always False without ``with_digest``).

    Holders of ``roles[0]`` come first, then those of ``roles[1]`` and so on, each by user id;
    a user holding several of the roles appears once, at their first. One query, or with the
    fragment cache one token query: the holders of a school are kept in the process's memory
    under its ``school_directory`` token and today's date (``core.versions``).
    (A board role is never held at a school and a school role always is: the constraint
    ``membership_school_matches_role``.)
    """
    holders = fragments.cached(
        "notify-role-holders",
        lambda: _role_holders_scope(school, roles, with_digest),
        lambda: _role_holders_query(school, roles, with_digest))
    if exclude_user_id is not None:
        holders = [(u, digest) for u, digest in holders if u.pk != exclude_user_id]
    return holders


def _role_holders_scope(school, roles, with_digest) -> tuple:
    """Key parts for the holders of ``roles`` at ``school``: its directory token (it changes
    with every change of a role, a user or a mail preference there, including the board's
    roles and users) and today (roles start and end by date)."""
    school_id = getattr(school, "pk", school)
    token = versions.tokens(directory_schools=[school_id])
    return (school_id, tuple(roles), with_digest, tuple(token.items()), timezone.localdate())


def _role_holders_query(school, roles, with_digest) -> list[tuple[object, bool]]:
    rows = (Membership.objects.active().filter(_school_q(school))
            .filter(role__in=roles, user__is_active=True)
            .select_related("user").order_by())
    if with_digest:
        rows = rows.annotate(_digest=Exists(MailPreference.objects.filter(
            user_id=OuterRef("user_id"), frequency=MailFrequency.DAILY)))
    rank = {role: i for i, role in enumerate(roles)}
    holders: dict[int, tuple[object, bool]] = {}
    for m in sorted(rows, key=lambda m: (rank[m.role], m.user_id)):
        holders.setdefault(m.user_id, (m.user, with_digest and m._digest))
    return list(holders.values())


def digest_user_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these users chose the daily digest (one query; no row means immediate)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(MailPreference.objects.filter(user_id__in=ids, frequency=MailFrequency.DAILY)
               .values_list("user_id", flat=True))


def mail_preference_get(user) -> str:
    pref = MailPreference.objects.filter(user=user).values_list("frequency", flat=True).first()
    return pref or MailFrequency.IMMEDIATE


def mail_preference_set(*, user, frequency: str) -> MailPreference:
    if frequency not in MailFrequency.values:
        raise ValueError(frequency)
    pref, _created = MailPreference.objects.update_or_create(
        user=user, defaults={"frequency": frequency})
    return pref


def absolute(url: str) -> str:
    return settings.MELDCODE_BASE_URL.rstrip("/") + url


def mail_body(text: str, url: str) -> str:
    return _("%(text)s\n\nBekijk het in Meldcode: %(link)s\n\n%(footer)s") % {
        "text": text, "link": absolute(url), "footer": _(MAIL_FOOTER)}


def queue_mail_after_commit(*, to: str, body: str) -> None:
    """Send one content-free e-mail once the surrounding transaction has committed."""
    if to:
        transaction.on_commit(lambda: send_plain_email.delay(_(MAIL_SUBJECT), body, [to]))


def queue_mails_after_commit(mails: list[tuple[str, str]]) -> None:
    """Send content-free e-mails, one per ``(to, body)`` pair, in one task once the
    surrounding transaction has committed."""
    mails = [(to, body) for to, body in mails if to]
    if mails:
        transaction.on_commit(lambda: send_plain_emails.delay(_(MAIL_SUBJECT), mails))


def notify(*, users, kind: str, url: str, school=None, obj=None, email: bool = True) -> list:
    """Create one in-app notification per user and, after commit, a content-free e-mail each
    (all sent by one task).

    Users without a role in force at ``school`` (or anywhere, without a school) are skipped.
    Users who chose the daily digest get no e-mail now; their notification waits for the digest.
    """
    users = users_holding_a_role(users, school)
    digest = digest_user_ids(u.pk for u in users) if email else set()
    return _deliver([(u, u.pk in digest) for u in users], kind=kind, url=url, school=school,
                    obj=obj, email=email)


def notify_role_holders(*, school, roles: Sequence[str], kind: str, url: str, obj=None,
                        exclude_user_id: int | None = None, email: bool = True) -> list:
    """``notify`` everyone who holds one of ``roles`` at ``school`` (see ``role_holders``),
    except ``exclude_user_id``.

    The same rules as ``notify``; the query that finds the holders is the role check and
    reads their mail preferences, so one query before the insert instead of four (with the
    fragment cache a token query, see ``role_holders``).
    """
    recipients = role_holders(school, roles, exclude_user_id=exclude_user_id,
                              with_digest=email)
    return _deliver(recipients, kind=kind, url=url, school=school, obj=obj, email=email)


def _deliver(recipients: list[tuple[object, bool]], *, kind, url, school, obj, email) -> list:
    """The notifications for ``(user, wants the digest)`` pairs, and the e-mails after commit
    (one task for all of them, each mail to its one recipient)."""
    rows = [Notification(user=u, kind=kind, url=url, school=school,
                         object_type=obj._meta.label_lower if obj is not None else "",
                         object_id=getattr(obj, "pk", None),
                         digest_pending=email and digest) for u, digest in recipients]
    Notification.objects.bulk_create(rows)
    if email:
        to = [row.user.email for row in rows if row.user.email and not row.digest_pending]
        if to:
            # The same text for everyone: the kind's and the link.
            body = mail_body(Kind(kind).label, url)
            queue_mails_after_commit([(address, body) for address in to])
    return rows


def digest_body(count: int) -> str:
    return "%s\n\n%s\n\n%s" % (
        ngettext("Er staat %(count)s nieuwe melding voor u klaar in Meldcode.",
                 "Er staan %(count)s nieuwe meldingen voor u klaar in Meldcode.", count)
        % {"count": count},
        _("Bekijk ze in Meldcode: %(link)s") % {"link": absolute(reverse("notifications:list"))},
        _(MAIL_FOOTER))


def send_daily_digest(*, batch_size: int = 5000) -> dict:
    """One content-free digest e-mail per user with notifications waiting for it.

    Each waiting notification is counted in exactly one digest, also when two workers run
    this at once: rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and cleared in
    the same transaction. Only unread ones are counted; a user without a role in force gets
    no mail (their rows are cleared all the same). The mails leave after commit.
    """
    mails = users = 0
    while True:
        with transaction.atomic():
            claimed = list(Notification.objects.select_for_update(skip_locked=True)
                           .filter(digest_pending=True).order_by("pk")
                           .values_list("pk", "user_id", "read_at")[:batch_size])
            if not claimed:
                break
            unread: dict[int, int] = {}
            for _pk, user_id, read_at in claimed:
                unread.setdefault(user_id, 0)
                if read_at is None:
                    unread[user_id] += 1
            Notification.objects.filter(pk__in=[pk for pk, _u, _r in claimed]).update(
                digest_pending=False)
            wanted = [uid for uid, n in unread.items() if n]
            holders = set(Membership.objects.active().filter(
                user_id__in=wanted, user__is_active=True).values_list("user_id", flat=True))
            emails = dict(get_user_model().objects.filter(pk__in=holders)
                          .values_list("pk", "email"))
            for uid in wanted:
                if emails.get(uid):
                    queue_mail_after_commit(to=emails[uid], body=digest_body(unread[uid]))
                    mails += 1
            users += len(unread)
        if len(claimed) < batch_size:
            break
    return {"users": users, "mails": mails, "at": timezone.now().isoformat()}
