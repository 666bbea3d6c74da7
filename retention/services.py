"""Writes: terms, legal holds, the two-person destruction (of a case or of a loose signal),
and pupils' requests.

The destruction is a small state machine on ``DestructionProposal``:

    (due, no row) --approve--> goedgekeurd --confirm--> uitgevoerd (case purged, tombstone)
                                   |
                                   +--(hold placed / first approver lost the role /
                                        no longer due)--> vervallen

Each step runs in one transaction that first locks the case row (``select_for_update``), then
the open proposal. The form says which step the user meant (``stage``) and, for a
confirmation, which proposal: a double submit or a race finds the state moved on and is
refused, so nothing is destroyed twice and no approval is skipped. A second "approve" while a
first is waiting is refused too (the partial unique constraint backs this up).

A loose signal (``signal_destruction_approve``) goes through the same machine with the signal
row locked instead of the case: the same roles, the same two people, the same lapse; the
confirmation checks the due rule again (``selectors.signal_due_reason``) and the purge
(``purge.plan_signal_purge``) refuses a signal that anything else holds. Not for loose
signals: legal holds and pupils' requests (both concern case files only).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from schools.access import roles_at
from signals.models import Signal, SignalPupil

from . import purge, selectors
from .models import (ApproverRole, DestructionProposal, DestructionRequest, LegalHold,
                     ProposalState, RecordType, RequestDecision, RetentionTerm, Tombstone)


class RetentionError(Exception):
    """A refused action; the message is Dutch and safe to show."""


def pupil_reference(pupil_id: int) -> str:
    """HMAC-SHA256 of the pupil id under ``MELDCODE_PSEUDONYM_KEY`` (not reversible without
    the key; the same pupil always gives the same reference)."""
    key = getattr(settings, "MELDCODE_PSEUDONYM_KEY", "")
    if not key:
        raise ImproperlyConfigured("MELDCODE_PSEUDONYM_KEY is not set")
    return hmac.new(key.encode(), f"pupil:{pupil_id}".encode(), hashlib.sha256).hexdigest()


# --- terms ------------------------------------------------------------------------------------


@transaction.atomic
def term_save(*, board, record_type: str, years: int, actor) -> bool:
    """Store the board's term; returns whether anything changed."""
    current = selectors.terms_for_boards([board.pk])[board.pk][record_type]
    if current == years:
        return False
    RetentionTerm.objects.update_or_create(board=board, record_type=record_type,
                                           defaults={"years": years, "updated_by": actor})
    return True


# --- legal holds ------------------------------------------------------------------------------


def _lead_role(actor, school_id: int) -> str | None:
    held = roles_at(actor, school_id)
    for role in (ApproverRole.VC, ApproverRole.DIRECTEUR):
        if role in held:
            return role
    return None


def _invalidate(case_id: int, reason: str) -> int:
    return DestructionProposal.objects.filter(case_id=case_id, state=ProposalState.APPROVED).update(
        state=ProposalState.INVALID, invalidated_at=timezone.now(), invalid_reason=reason)


@transaction.atomic
def hold_place(*, case: Case, reason: str, actor) -> LegalHold:
    """A legal hold stops the clock: the case is not due while it is active, and a waiting
    approval lapses."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if _lead_role(actor, case.school_id) is None:
        raise RetentionError(_("Alleen de veiligheidscoördinator of de directeur legt een "
                               "bewaarplicht vast."))
    hold = LegalHold.objects.create(case=case, reason=reason, placed_by=actor)
    _invalidate(case.pk, _("Er is een bewaarplicht vastgelegd."))
    return hold


@transaction.atomic
def hold_lift(*, hold: LegalHold, reason: str, actor) -> LegalHold:
    hold = LegalHold.objects.select_for_update().select_related("case").get(pk=hold.pk)
    if _lead_role(actor, hold.case.school_id) is None:
        raise RetentionError(_("Alleen de veiligheidscoördinator of de directeur heft een "
                               "bewaarplicht op."))
    if not hold.is_active:
        raise RetentionError(_("Deze bewaarplicht is al opgeheven."))
    hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), actor, reason
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return hold


# --- the two-person destruction ---------------------------------------------------------------


STAGE_APPROVE, STAGE_CONFIRM = "goedkeuren", "bevestigen"


def destruction_approve(*, case_id: int, actor, stage: str,
                        proposal_id: int | None = None) -> DestructionProposal:
    """The first approval (``stage="goedkeuren"``) or the confirmation that destroys
    (``stage="bevestigen"`` with the proposal the user saw). Raises ``RetentionError``."""
    return _in_transaction(
        lambda: _approve_locked(case_id=case_id, actor=actor, stage=stage,
                                proposal_id=proposal_id),
        _("Iemand anders heeft dit dossier zojuist goedgekeurd. Bekijk de pagina opnieuw."))


class _Refused:
    """A refusal whose side effect (a waiting approval lapsed) must be committed: returned
    from inside the transaction, raised as ``RetentionError`` after it."""

    def __init__(self, message: str):
        self.message = message


def _in_transaction(approve, race_message: str):
    """Run ``approve`` in one transaction; a refusal that lapsed an approval is raised only
    after that lapse is committed."""
    try:
        with transaction.atomic():
            result = approve()
    except IntegrityError:
        # A concurrent first approval won the race for the partial unique index.
        raise RetentionError(race_message) from None
    if isinstance(result, _Refused):
        raise RetentionError(result.message)
    return result


@dataclass
class _Subject:
    """What the two-person flow needs of the row being destroyed (a case or a loose signal),
    its row already locked: where its waiting approval is, why it is due, the fields of a new
    approval, how it is destroyed, and the Dutch messages naming it."""

    school_id: int
    waiting: dict  # the filter that finds its waiting approval
    due: object  # ``selectors.Due`` or None
    new_fields: dict  # the subject's fields on a new approval
    destroy: Callable  # (proposal, actor, role, now) -> the carried-out proposal
    not_due: str
    no_longer_due: str
    already_approved: str


def _approve_locked(*, case_id, actor, stage, proposal_id):
    case = (Case.objects.select_for_update().select_related("pupil", "school")
            .filter(pk=case_id).first())
    if case is None:
        raise RetentionError(_("Dit dossier bestaat niet meer; het is mogelijk al vernietigd."))
    due = selectors.due_reason(case)
    return _approve(_Subject(
        school_id=case.school_id, waiting={"case_id": case.pk}, due=due,
        new_fields={"case": case, "school": case.school,
                    "request": due.request if due is not None else None},
        destroy=lambda proposal, actor, role, now: _destroy(
            case=case, proposal=proposal, actor=actor, role=role, now=now),
        not_due=_("Dit dossier komt nu niet voor vernietiging in aanmerking."),
        no_longer_due=_("Het dossier komt niet meer voor vernietiging in aanmerking."),
        already_approved=_("Dit dossier is al goedgekeurd en wacht op bevestiging.")),
        actor=actor, stage=stage, proposal_id=proposal_id)


def _approve(subject: _Subject, *, actor, stage, proposal_id):
    """The approval or confirmation of ``subject``, the same for a case and a loose signal."""
    role = _lead_role(actor, subject.school_id)
    if role is None:
        raise RetentionError(_("Alleen de veiligheidscoördinator en de directeur van de school "
                               "keuren een vernietiging goed."))
    proposal = (DestructionProposal.objects.select_for_update()
                .filter(state=ProposalState.APPROVED, **subject.waiting).first())
    due = subject.due
    now = timezone.now()
    if due is None:
        if proposal is not None:
            proposal.state, proposal.invalidated_at = ProposalState.INVALID, now
            proposal.invalid_reason = subject.no_longer_due
            proposal.save(update_fields=["state", "invalidated_at", "invalid_reason"])
            return _Refused(subject.not_due)  # the lapse is committed, then refused
        raise RetentionError(subject.not_due)

    if stage == STAGE_APPROVE:
        if proposal is not None:
            raise RetentionError(subject.already_approved)
        return DestructionProposal.objects.create(
            **subject.new_fields, rule=due.rule, rule_text=due.rule_text, approved_by=actor,
            approved_role=role, approved_at=now)

    if stage != STAGE_CONFIRM:
        raise RetentionError(_("Onbekende stap."))
    other, lapsed = _check_confirmation(proposal=proposal, proposal_id=proposal_id, actor=actor,
                                        school_id=subject.school_id, now=now)
    if lapsed:
        # Returned, not raised: the lapse must be committed. The view tells the user.
        return proposal
    return subject.destroy(proposal, actor, other, now)


def _check_confirmation(*, proposal, proposal_id, actor, school_id, now) -> tuple[str, bool]:
    """The confirmation's checks, the same for a case and a loose signal: the proposal the
    user saw, another person, the other lead role, and the first approver still holding
    theirs. Returns (the confirming role, whether the proposal lapsed: saved, not raised)."""
    if proposal is None or proposal.pk != proposal_id:
        raise RetentionError(_("De goedkeuring is intussen gewijzigd of vervallen. Bekijk de "
                               "pagina opnieuw."))
    if proposal.approved_by_id == actor.pk:
        raise RetentionError(_("U heeft dit zelf goedgekeurd. Een ander moet bevestigen: "
                               "de veiligheidscoördinator en de directeur samen."))
    other = ({ApproverRole.VC, ApproverRole.DIRECTEUR} - {proposal.approved_role}).pop()
    if other not in roles_at(actor, school_id):
        raise RetentionError(_("Bevestigen doet de %(role)s van de school.")
                             % {"role": ApproverRole(other).label})
    if not selectors.holds_role_now(proposal.approved_by_id, school_id, proposal.approved_role):
        proposal.state, proposal.invalidated_at = ProposalState.INVALID, now
        proposal.invalid_reason = _("Wie goedkeurde, heeft die rol niet meer.")
        proposal.save(update_fields=["state", "invalidated_at", "invalid_reason"])
        return other, True
    return other, False


def _destroy(*, case: Case, proposal: DestructionProposal, actor, role: str, now):
    plan = purge.plan_case_purge(case)
    counts = purge.execute(plan)
    ref = pupil_reference(case.pupil_id)
    tombstone = Tombstone.objects.create(
        record_type=RecordType.CASE, pupil_ref=ref, pupil_refs=[ref],
        school_id=case.school_id, destroyed_at=now, approved_by_id=proposal.approved_by_id,
        approved_role=proposal.approved_role, confirmed_by=actor, confirmed_role=role,
        rule=proposal.rule, rule_text=proposal.rule_text, removed=counts["removed"],
        history_rows=counts["history_rows"], files_removed=counts["files"],
        access_log_removed=counts["access_log"])
    proposal.case = None  # already NULL in the database (purge.execute)
    proposal.state, proposal.confirmed_by, proposal.confirmed_role = ProposalState.DONE, actor, role
    proposal.confirmed_at, proposal.tombstone = now, tombstone
    proposal.save(update_fields=["case", "state", "confirmed_by", "confirmed_role",
                                 "confirmed_at", "tombstone"])
    return proposal


# --- the two-person destruction of a loose signal --------------------------------------------


def signal_destruction_approve(*, signal_id: int, actor, stage: str,
                               proposal_id: int | None = None) -> DestructionProposal:
    """As ``destruction_approve``, for a loose signal. Raises ``RetentionError``."""
    return _in_transaction(
        lambda: _approve_signal_locked(signal_id=signal_id, actor=actor, stage=stage,
                                       proposal_id=proposal_id),
        _("Iemand anders heeft dit signaal zojuist goedgekeurd. Bekijk de pagina opnieuw."))


def _approve_signal_locked(*, signal_id, actor, stage, proposal_id):
    signal = (Signal.objects.select_for_update().select_related("school")
              .filter(pk=signal_id).first())
    if signal is None:
        raise RetentionError(_("Dit signaal bestaat niet meer; het is mogelijk al vernietigd."))
    return _approve(_Subject(
        school_id=signal.school_id, waiting={"signal_id": signal.pk},
        due=selectors.signal_due_reason(signal),
        new_fields={"record_type": RecordType.LOOSE_SIGNAL, "signal": signal,
                    "school": signal.school},
        destroy=lambda proposal, actor, role, now: _destroy_signal(
            signal=signal, proposal=proposal, actor=actor, role=role, now=now),
        not_due=_("Dit signaal komt nu niet voor vernietiging in aanmerking."),
        no_longer_due=_("Het signaal komt niet meer voor vernietiging in aanmerking."),
        already_approved=_("Dit signaal is al goedgekeurd en wacht op bevestiging.")),
        actor=actor, stage=stage, proposal_id=proposal_id)


def _destroy_signal(*, signal: Signal, proposal: DestructionProposal, actor, role: str, now):
    pupil_ids = list(SignalPupil.objects.filter(signal_id=signal.pk)
                     .values_list("pupil_id", flat=True))
    try:
        plan = purge.plan_signal_purge(signal)
    except purge.PurgeRefused:
        # Something else holds the signal after all (the due rule should have said so):
        # nothing is deleted, and the approval stays for the people to look at again.
        raise RetentionError(_("Dit signaal hoort (ook) bij een dossier of een andere route en "
                               "wordt daarom niet als los signaal vernietigd.")) from None
    counts = purge.execute(plan)
    refs = sorted(pupil_reference(pk) for pk in pupil_ids)
    tombstone = Tombstone.objects.create(
        record_type=RecordType.LOOSE_SIGNAL, pupil_ref=refs[0], pupil_refs=refs,
        school_id=signal.school_id, destroyed_at=now, approved_by_id=proposal.approved_by_id,
        approved_role=proposal.approved_role, confirmed_by=actor, confirmed_role=role,
        rule=proposal.rule, rule_text=proposal.rule_text, removed=counts["removed"],
        history_rows=counts["history_rows"], files_removed=counts["files"],
        access_log_removed=counts["access_log"])
    proposal.signal = None  # already NULL in the database (purge.execute)
    proposal.state, proposal.confirmed_by, proposal.confirmed_role = ProposalState.DONE, actor, role
    proposal.confirmed_at, proposal.tombstone = now, tombstone
    proposal.save(update_fields=["signal", "state", "confirmed_by", "confirmed_role",
                                 "confirmed_at", "tombstone"])
    return proposal


# --- requests of pupils aged 16 or over -------------------------------------------------------

MIN_REQUEST_AGE = 16


def one_month_after(day: datetime.date) -> datetime.date:
    month = day.month % 12 + 1
    year = day.year + (day.month == 12)
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def request_record(*, pupil, received_on: datetime.date, channel: str, request_text: str,
                   actor) -> DestructionRequest:
    if pupil.age_on(received_on) < MIN_REQUEST_AGE:
        raise RetentionError(_("Alleen een leerling van 16 jaar of ouder kan zelf om "
                               "vernietiging vragen."))
    if _lead_role(actor, pupil.school_id) is None:
        raise RetentionError(_("Alleen de veiligheidscoördinator of de directeur legt dit "
                               "verzoek vast."))
    return DestructionRequest.objects.create(
        school_id=pupil.school_id, pupil=pupil, received_on=received_on, channel=channel,
        request_text=request_text, due_on=one_month_after(received_on), recorded_by=actor)


@transaction.atomic
def request_decide(*, request: DestructionRequest, decision: str, reason: str,
                   actor) -> DestructionRequest:
    """Grant (the pupil's closed cases become due for the two-person destruction) or refuse
    with a reason. Decided once."""
    request = DestructionRequest.objects.select_for_update().get(pk=request.pk)
    if _lead_role(actor, request.school_id) is None:
        raise RetentionError(_("Alleen de veiligheidscoördinator of de directeur beslist."))
    if not request.is_open:
        raise RetentionError(_("Over dit verzoek is al beslist."))
    if decision == RequestDecision.REFUSED and not reason.strip():
        raise RetentionError(_("Geef de reden van de weigering."))
    if decision == RequestDecision.CARRY_OUT:
        from cases.models import Status

        if Case.objects.filter(pupil_id=request.pupil_id, status=Status.OPEN).exists():
            raise RetentionError(_("Voor deze leerling loopt nog een dossier. Sluit het eerst "
                                   "af, of weiger het verzoek met een reden."))
    request.decision, request.decision_reason = decision, reason.strip()
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    return request
