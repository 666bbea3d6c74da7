"""The reminder scan, and the beheerder's terms per step.

``run_scan`` is what the beat task runs every few minutes:

1. *collect*: every registered source yields what is due now (a fixed number of queries per
   source, whatever the number of items);
2. *expand*: recipients are resolved in one query (named users must still hold one of the
   source's roles; role recipients are whoever holds the role at the school today);
3. *record*: one ``Reminder`` row per (source, object, occurrence, level, recipient), inserted
   with ``ON CONFLICT DO NOTHING`` (rows already recorded are filtered out first, in one
   query): the unique constraint is the idempotency key;
4. *deliver*: unsent rows are claimed in batches with ``SELECT ... FOR UPDATE SKIP LOCKED``;
   in one transaction each still-due row becomes an in-app notification and gets ``sent_at``;
   rows whose cause was resolved, or whose recipient no longer holds the role, are cancelled
   instead. E-mails (content-free) are queued after commit.

Two workers scanning at once claim disjoint rows; a worker that dies mid-batch rolls its
transaction back, and the next scan delivers those rows. The one thing that can repeat is an
e-mail, when a worker dies between handing it to the broker and its task finishing (Celery
delivers tasks at least once); the in-app reminder itself is delivered exactly once.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Kind, Notification
from notifications.services import digest_user_ids, mail_body, queue_mail_after_commit
from schools.models import Membership, School
from schools.roles import Role

from . import sources as registry
from .models import DEFAULT_STEP_TERMS, CancelReason, Reminder, StepTerm

logger = logging.getLogger(__name__)


def batch_size() -> int:
    """Reminders delivered per transaction (``MELDCODE_REMINDER_BATCH_SIZE``, default 2000)."""
    return max(1, int(os.environ.get("MELDCODE_REMINDER_BATCH_SIZE", "2000")))


def _test_send_delay() -> float:
    # Used only by the integration tests, to kill a worker in the middle of a batch.
    return float(os.environ.get("MELDCODE_REMINDER_TEST_SEND_DELAY", "0") or 0)


@dataclass
class ScanResult:
    due: int = 0
    rows: int = 0  # reminders that are due (one per recipient)
    new: int = 0  # of which recorded for the first time by this scan
    sent: int = 0
    resolved: int = 0
    role_ended: int = 0
    skipped: int = 0
    failed_sources: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("due", "rows", "new", "sent", "resolved",
                                              "role_ended", "skipped", "failed_sources",
                                              "seconds")}


# --- who holds which role where ---------------------------------------------------------------


class RoleBook:
    """Active memberships of the people involved, looked up without further queries."""

    def __init__(self, rows: Iterable[tuple], boards: dict[int, int]):
        self.boards = boards
        self.at: dict[tuple, set[int]] = defaultdict(set)  # (scope, role) -> user ids
        self.emails: dict[int, str] = {}
        for user_id, school_id, board_id, role, email in rows:
            scope = ("s", school_id) if school_id is not None else ("b", board_id)
            self.at[(scope, role)].add(user_id)
            self.emails[user_id] = email

    @classmethod
    def load(cls, *, school_ids: set[int], user_ids: set[int], roles: set[str],
             boards: dict[int, int] | None = None) -> RoleBook:
        """Two queries at most: the schools' boards (unless given) and the memberships."""
        if boards is None:
            boards = dict(School.objects.filter(pk__in=school_ids).order_by()
                          .values_list("pk", "board_id")) if school_ids else {}
        wanted = Q(pk__in=[])
        if user_ids:
            wanted |= Q(user_id__in=user_ids)
        if roles and school_ids:
            school_roles = roles - set(Role.board_level())
            board_roles = roles & set(Role.board_level())
            if school_roles:
                wanted |= Q(role__in=school_roles, school_id__in=school_ids)
            if board_roles:
                wanted |= Q(role__in=board_roles, school__isnull=True,
                            board_id__in=set(boards.values()))
        rows = (Membership.objects.active(timezone.localdate()).filter(user__is_active=True)
                .filter(wanted).values_list("user_id", "school_id", "board_id", "role",
                                            "user__email")) if (user_ids or roles) else []
        return cls(rows, boards)

    def holders(self, school_id: int, role: str) -> set[int]:
        if role in Role.board_level():
            return self.at.get((("b", self.boards.get(school_id)), role), set())
        return self.at.get((("s", school_id), role), set())

    def holds(self, user_id: int, school_id: int, roles: Iterable[str]) -> bool:
        return any(user_id in self.holders(school_id, role) for role in roles)


# --- the scan ---------------------------------------------------------------------------------


def collect(now, sources: list[registry.Source]) -> tuple[list[tuple], list[str]]:
    """(source, Due) pairs of every source, and the names of sources that failed.

    A failing source (say, its table is not migrated yet) is logged and skipped: it must not
    stop the reminders of the others, and its pending rows are left alone.
    """
    items: list[tuple] = []
    failed: list[str] = []
    for source in sources:
        try:
            with transaction.atomic():
                items.extend((source, due) for due in source.due(now))
        except Exception:  # noqa: BLE001 - one broken source must not stop the others
            logger.exception("reminders: source %s failed", source.name)
            failed.append(source.name)
    return items, failed


def expand(items: list[tuple], book: RoleBook, created_at) -> list[Reminder]:
    """One unsaved ``Reminder`` per recipient of each due item, sorted by key (a fixed order
    also keeps two concurrent inserts from deadlocking on the unique index)."""
    rows: dict[tuple, Reminder] = {}
    for source, due in items:
        recipients: dict[int, tuple[str, ...]] = {}
        for user_id in due.users:
            if user_id and book.holds(user_id, due.school_id, source.user_roles):
                recipients.setdefault(user_id, source.user_roles)
        for role in due.roles:
            for user_id in sorted(book.holders(due.school_id, role)):
                recipients.setdefault(user_id, (role,))
        recipients.pop(due.exclude_user, None)
        for user_id, roles in recipients.items():
            row = Reminder(source=source.name, object_id=due.object_id,
                           occurrence=due.occurrence, level=due.level, recipient_id=user_id,
                           school_id=due.school_id, roles=",".join(roles),
                           kind=due.kind or source.kind, object_type=source.object_type,
                           url=due.url, due_at=due.due_at, created_at=created_at)
            rows.setdefault(row.key, row)
    return [rows[k] for k in sorted(rows, key=_sort_key)]


def not_recorded_yet(rows: list[Reminder]) -> list[Reminder]:
    """The rows whose key is not in the table yet (one query). Only saves the database the
    work of rejecting conflicts on every scan; the unique constraint is what guarantees once."""
    if not rows:
        return rows
    ids: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        ids[row.source].add(row.object_id)
    wanted = Q(pk__in=[])
    for source, object_ids in ids.items():
        wanted |= Q(source=source, object_id__in=object_ids)
    known = set(Reminder.objects.filter(wanted).order_by().values_list(
        "source", "object_id", "occurrence", "level", "recipient_id"))
    return [row for row in rows if row.key not in known]


def _sort_key(key: tuple):
    source, object_id, occurrence, level, recipient = key
    return (source, object_id, occurrence.timestamp(), level, recipient)


def run_scan(now=None, *, sources: list[registry.Source] | None = None) -> ScanResult:
    """Find what is due at ``now`` (default: the current time) and deliver it once.

    The number of queries does not depend on the number of due items up to ``batch_size()``
    reminders to deliver; beyond that each further batch adds the same few queries.
    """
    started = time.monotonic()
    scan_started = timezone.now()
    now = now or scan_started
    sources = registry.registered() if sources is None else sources
    result = ScanResult()

    items, result.failed_sources = collect(now, sources)
    result.due = len(items)
    school_ids = {due.school_id for _s, due in items}
    book = RoleBook.load(
        school_ids=school_ids,
        user_ids={u for _s, due in items for u in due.users if u},
        roles={r for _s, due in items for r in due.roles})
    rows = expand(items, book, scan_started)
    result.rows = len(rows)
    new = not_recorded_yet(rows)
    result.new = len(new)
    if new:
        # ON CONFLICT DO NOTHING: another worker may be inserting the same keys right now.
        Reminder.objects.bulk_create(new, ignore_conflicts=True)

    due_keys = {row.key for row in rows}
    deliver_pending(due_keys=due_keys, scan_started=scan_started,
                    known_sources={s.name for s in registry.registered()},
                    failed_sources=set(result.failed_sources), boards=book.boards,
                    result=result)
    result.seconds = round(time.monotonic() - started, 3)
    logger.info("reminders: scan %s", result.as_dict())
    return result


def deliver_pending(*, due_keys: set[tuple], scan_started, known_sources: set[str],
                    failed_sources: set[str], boards: dict[int, int],
                    result: ScanResult) -> None:
    """Claim unsent reminders batch by batch and deliver, cancel or leave each one.

    A pending row not in ``due_keys`` is *resolved* (cancelled) only if it was created before
    this scan collected its due items, or its source is no longer registered: a row another
    worker inserted a moment ago may stem from an item that became due after our collect.
    """
    size = batch_size()
    left_alone: list[int] = []
    while True:
        with transaction.atomic():
            pending = Reminder.objects.select_for_update(skip_locked=True).filter(
                sent_at__isnull=True, cancelled_at__isnull=True)
            if left_alone:
                pending = pending.exclude(pk__in=left_alone)
            batch = list(pending.order_by("pk")[:size])
            if not batch:
                break
            deliver, resolved = [], []
            for row in batch:
                if row.source in failed_sources:
                    left_alone.append(row.pk)
                elif row.key in due_keys:
                    deliver.append(row)
                elif row.created_at < scan_started or row.source not in known_sources:
                    resolved.append(row)
                else:
                    left_alone.append(row.pk)
            # Nothing goes to someone who no longer holds the role: checked at send time.
            book = RoleBook([], {})
            if deliver:
                book = RoleBook.load(school_ids={r.school_id for r in deliver},
                                     user_ids={r.recipient_id for r in deliver}, roles=set(),
                                     boards=_boards_for(deliver, boards))
            still, ended = [], []
            for row in deliver:
                holds = book.holds(row.recipient_id, row.school_id, row.roles.split(","))
                (still if holds else ended).append(row)
            now = timezone.now()
            if still:
                _deliver(still, book, now)
            _cancel(resolved, CancelReason.RESOLVED, now)
            _cancel(ended, CancelReason.ROLE_ENDED, now)
            result.sent += len(still)
            result.resolved += len(resolved)
            result.role_ended += len(ended)
        if len(batch) < size:
            break
    result.skipped = len(left_alone)


def _boards_for(rows: list[Reminder], known: dict[int, int]) -> dict[int, int]:
    missing = {r.school_id for r in rows} - set(known)
    if not missing:
        return known
    return {**known, **dict(School.objects.filter(pk__in=missing).order_by()
                            .values_list("pk", "board_id"))}


def _cancel(rows: list[Reminder], reason: str, now) -> None:
    if rows:
        Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(cancelled_at=now,
                                                                    cancel_reason=reason)


def _deliver(rows: list[Reminder], book: RoleBook, now) -> None:
    """In-app notifications and ``sent_at`` in the caller's transaction; mails after commit."""
    digest = digest_user_ids({r.recipient_id for r in rows})
    Notification.objects.bulk_create([
        Notification(user_id=r.recipient_id, kind=r.kind, url=r.url, school_id=r.school_id,
                     object_type=r.object_type, object_id=r.object_id,
                     digest_pending=r.recipient_id in digest) for r in rows])
    if delay := _test_send_delay():
        time.sleep(delay * len(rows))
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(sent_at=now)
    by_user: dict[int, list[Reminder]] = defaultdict(list)
    for row in rows:
        if row.recipient_id not in digest:
            by_user[row.recipient_id].append(row)
    for user_id, mine in by_user.items():
        queue_mail_after_commit(to=book.emails.get(user_id, ""), body=reminder_mail_body(mine))


def reminder_mail_body(rows: list[Reminder]) -> str:
    """Only *that* something awaits and a link (ids only): never a name or a text."""
    if len(rows) == 1:
        return mail_body(Kind(rows[0].kind).label if rows[0].kind in Kind.values
                         else Kind.REMINDER.label, rows[0].url)
    text = ngettext("Er staat %(count)s herinnering voor u klaar.",
                    "Er staan %(count)s herinneringen voor u klaar.", len(rows)) % {
        "count": len(rows)}
    return mail_body(text, reverse("notifications:list"))


# --- terms per step (R52) ---------------------------------------------------------------------


def step_terms_for(school_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{school_id: {step: days}} with the defaults filled in; one query."""
    ids = list(school_ids)
    terms = {sid: dict(DEFAULT_STEP_TERMS) for sid in ids}
    rows = StepTerm.objects.filter(school_id__in=ids).order_by().values_list(
        "school_id", "step", "days")
    for school_id, step, days in rows:
        terms[school_id][step] = days
    return terms


@transaction.atomic
def step_terms_save(*, school: School, terms: dict[int, int], actor) -> list[int]:
    """Store the school's terms; a term equal to the default is stored as "no override".

    Returns the steps that changed. Each change is in the model's history with the actor.
    """
    current = {t.step: t for t in StepTerm.objects.select_for_update().filter(school=school)}
    changed = []
    for step, days in terms.items():
        step, days = int(step), int(days)
        if step not in DEFAULT_STEP_TERMS:
            raise ValueError(step)
        row = current.get(step)
        if days == DEFAULT_STEP_TERMS[step]:
            if row is not None:
                row._history_user, row._change_reason = actor, _("terug naar de standaard")
                row.delete()
                changed.append(step)
            continue
        if row is None:
            row = StepTerm(school=school, step=step, days=days)
        elif row.days == days:
            continue
        row.days = days
        row._history_user, row._change_reason = actor, _("termijn gewijzigd")
        row.full_clean()
        row.save()
        changed.append(step)
    return changed
