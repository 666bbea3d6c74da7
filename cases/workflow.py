"""The Meldcode steps: the table of allowed moves, the guards, and the only code that
changes ``Case.step`` and ``Case.status``.

Forward moves follow the statutory order 1→2→3→4→5→follow-up (domain.md §3). Going back
is allowed to any earlier step (steps overlap in practice: another consultation after the
SOT weighing, say) but needs a reason. A case can be closed at any step with a reason
(R3) and reopened as a new cycle; every move is an append-only ``StepTransition`` row.
Step 5 and the follow-up have further guards supplied by the afwegingskader app through
``register_guard`` so that this module does not import it (architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Case, CloseReason, Status, Step, StepTransition, TransitionKind

FORWARD: dict[Step, Step | None] = {
    Step.SIGNALEN: Step.CONSULTATIE,
    Step.CONSULTATIE: Step.GESPREK,
    Step.GESPREK: Step.WEGEN,
    Step.WEGEN: Step.BESLISSEN,
    Step.BESLISSEN: Step.VOLGEN,
    Step.VOLGEN: None,
}

# Extra guards per target step: callables (case, user) -> list of reasons. Step 5's app adds its own.
_EXTRA_GUARDS: dict[Step, list[Callable[[Case, object], list[str]]]] = {}


def register_guard(target: Step, guard: Callable[[Case, object], list[str]]) -> None:
    guards = _EXTRA_GUARDS.setdefault(Step(target), [])
    if guard not in guards:
        guards.append(guard)


class TransitionRefused(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = reasons


def _perms(case: Case, user) -> set[str]:
    from .selectors import case_permissions

    return case_permissions(user, case)


def _records_guard(case: Case, target: Step) -> list[str]:
    """What the protocol asks to have on file before the case moves on to ``target``."""
    reasons = []
    if target == Step.CONSULTATIE and not case.signal_links.exists():
        reasons.append(_("Voeg eerst minstens één signaal aan het dossier toe."))
    if target == Step.GESPREK and not (case.consultation_set.exists()
                                       or case.veiligthuisadvice_set.exists()):
        reasons.append(_("Leg eerst een collegiale consultatie of een advies van Veilig Thuis vast."))
    if target == Step.WEGEN and not case.conversation_set.filter(kind="gesprek").exists():
        reasons.append(_("Leg eerst het gesprek met ouders en/of leerling vast, of de reden "
                         "waarom het niet is gevoerd."))
    if target == Step.BESLISSEN and not case.sotdiscussion_set.exclude(
            nature_severity="", risk_assessment="").exists():
        reasons.append(_("Leg eerst de weging in het SOT vast (aard en ernst, risico's)."))
    return reasons


def blocking_reasons(case: Case, target: Step, user, reason: str = "",
                     perms: set[str] | None = None) -> list[str]:
    """Why ``user`` may not move ``case`` to ``target`` now; empty means allowed.

    The case page uses this to explain a disabled button; ``move_case`` enforces it.
    """
    target = Step(target)
    reasons: list[str] = []
    if case.status != Status.OPEN:
        return [_("Het dossier is afgesloten. Heropen het eerst.")]
    if "advance_case" not in (perms if perms is not None else _perms(case, user)):
        reasons.append(_("U mag dit dossier niet naar een andere stap zetten."))
    current = Step(case.step)
    if target == current:
        reasons.append(_("Het dossier staat al in deze stap."))
    elif target < current:
        if not reason.strip():
            reasons.append(_("Geef een reden om terug te gaan naar een eerdere stap."))
    elif FORWARD[current] != target:
        reasons.append(_("Stappen kunnen niet worden overgeslagen: de volgende stap is %(step)s.")
                       % {"step": FORWARD[current].label if FORWARD[current] else "-"})
    else:
        reasons += _records_guard(case, target)
        for guard in _EXTRA_GUARDS.get(target, []):
            reasons += guard(case, user)
    return reasons


def _record(case: Case, kind: str, from_step, to_step, actor, reason: str) -> StepTransition:
    return StepTransition.objects.create(case=case, kind=kind, from_step=from_step,
                                         to_step=to_step, cycle=case.cycle, actor=actor,
                                         reason=reason.strip())


def _lock(case_id: int) -> Case:
    # Two people moving one case at the same moment: the second waits and then sees the new step.
    return Case.objects.select_for_update().get(pk=case_id)


@transaction.atomic
def move_case(*, case_id: int, target: Step, actor, reason: str = "") -> Case:
    """Move the case forward one step, or back to an earlier step with a reason."""
    case = _lock(case_id)
    if reasons := blocking_reasons(case, target, actor, reason):
        raise TransitionRefused(reasons)
    previous = case.step
    kind = TransitionKind.FORWARD if target > previous else TransitionKind.BACK
    case.step, case.step_entered_at = Step(target), timezone.now()
    case.lock_version += 1
    case._history_user = actor
    case._change_reason = f"stap {previous} -> {int(target)}"
    case.save(update_fields=["step", "step_entered_at", "lock_version"])
    _record(case, kind, previous, target, actor, reason)
    return case


def close_reasons(case: Case, user, close_reason: str, explanation: str) -> list[str]:
    reasons = []
    if case.status != Status.OPEN:
        reasons.append(_("Het dossier is al afgesloten."))
    if "advance_case" not in _perms(case, user):
        reasons.append(_("U mag dit dossier niet afsluiten."))
    if close_reason not in CloseReason.values:
        reasons.append(_("Kies een reden om af te sluiten."))
    if not explanation.strip():
        reasons.append(_("Licht toe waarom het dossier wordt afgesloten."))
    for guard in _EXTRA_GUARDS.get("close", []):  # type: ignore[call-overload]
        reasons += guard(case, user)
    return reasons


@transaction.atomic
def close_case(*, case_id: int, actor, close_reason: str, explanation: str) -> Case:
    """Close the case at any step with a reason (R3)."""
    case = _lock(case_id)
    if reasons := close_reasons(case, actor, close_reason, explanation):
        raise TransitionRefused(reasons)
    case.status, case.closed_at = Status.CLOSED, timezone.now()
    case.close_reason, case.close_explanation = close_reason, explanation.strip()
    case.lock_version += 1
    case._history_user, case._change_reason = actor, "afgesloten"
    case.save(update_fields=["status", "closed_at", "close_reason", "close_explanation",
                             "lock_version"])
    _record(case, TransitionKind.CLOSE, case.step, case.step, actor,
            f"{CloseReason(close_reason).label}: {explanation.strip()}")
    return case


@transaction.atomic
def reopen_case(*, case_id: int, actor, reason: str) -> Case:
    """Reopen a closed case as a new cycle at step 1; its earlier cycles stay on file (R3)."""
    case = _lock(case_id)
    reasons = []
    if case.status != Status.CLOSED:
        reasons.append(_("Het dossier is niet afgesloten."))
    if "advance_case" not in _perms(case, actor):
        reasons.append(_("U mag dit dossier niet heropenen."))
    if not reason.strip():
        reasons.append(_("Geef een reden om het dossier te heropenen."))
    if reasons:
        raise TransitionRefused(reasons)
    previous = case.step
    case.status, case.cycle = Status.OPEN, case.cycle + 1
    case.step, case.step_entered_at = Step.SIGNALEN, timezone.now()
    case.closed_at, case.close_reason, case.close_explanation = None, "", ""
    case.lock_version += 1
    case._history_user, case._change_reason = actor, "heropend"
    case.save()
    _record(case, TransitionKind.REOPEN, previous, Step.SIGNALEN, actor, reason)
    return case


def register_close_guard(guard: Callable[[Case, object], list[str]]) -> None:
    """Guards on closing (R41: an evaluation note and agreed monitoring after help)."""
    guards = _EXTRA_GUARDS.setdefault("close", [])  # type: ignore[arg-type]
    if guard not in guards:
        guards.append(guard)
