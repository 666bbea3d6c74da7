"""The Meldcode steps: guards and transitions (cases.workflow)."""

import pytest

from cases import workflow
from cases.models import Case, CloseReason, Status, Step, StepTransition, TransitionKind
from cases.services import case_grant_access
from cases.workflow import (TransitionRefused, blocking_reasons, close_case, move_case,
                            reopen_case)

pytestmark = pytest.mark.django_db


def _refused(**kwargs) -> list[str]:
    with pytest.raises(TransitionRefused) as exc:
        move_case(**kwargs)
    return [str(r) for r in exc.value.reasons]


# Scenarios walked step by step, Amsterdam-Signalen style: (action, argument, outcome).
# "record" creates a record with the ORM; "move" tries a move to a step and expects the
# resulting step, or a fragment of the refusal.
SCENARIOS = {
    "rechtdoor naar stap 5 met de vereiste verslagen": [
        ("move", Step.CONSULTATIE, Step.CONSULTATIE),   # the case holds a signal
        ("move", Step.GESPREK, "collegiale consultatie"),
        ("record", "consultation", None),
        ("move", Step.GESPREK, Step.GESPREK),
        ("move", Step.WEGEN, "gesprek met ouders"),
        ("record", "parent_contact", None),             # "bespreken met ouders" is not step 3
        ("move", Step.WEGEN, "gesprek met ouders"),
        ("record", "conversation", None),
        ("move", Step.WEGEN, Step.WEGEN),
        ("move", Step.BESLISSEN, "weging in het SOT"),
        ("record", "empty_sot_discussion", None),       # on the agenda, not yet weighed
        ("move", Step.BESLISSEN, "weging in het SOT"),
        ("record", "sot_discussion", None),
        ("move", Step.BESLISSEN, Step.BESLISSEN),
    ],
    "advies van Veilig Thuis volstaat voor stap 3": [
        ("move", Step.CONSULTATIE, Step.CONSULTATIE),
        ("record", "vt_advice", None),
        ("move", Step.GESPREK, Step.GESPREK),
    ],
    "een niet gevoerd gesprek met reden volstaat voor stap 4 (R8)": [
        ("move", Step.CONSULTATIE, Step.CONSULTATIE),
        ("record", "consultation", None),
        ("move", Step.GESPREK, Step.GESPREK),
        ("record", "conversation_not_held", None),
        ("move", Step.WEGEN, Step.WEGEN),
    ],
    "stappen overslaan kan niet": [
        ("move", Step.GESPREK, "overgeslagen"),
        ("move", Step.WEGEN, "overgeslagen"),
        ("move", Step.CONSULTATIE, Step.CONSULTATIE),
        ("record", "consultation", None),
        ("record", "conversation", None),
        ("move", Step.WEGEN, "overgeslagen"),
    ],
    "terug naar een eerdere stap en weer verder": [
        ("move", Step.CONSULTATIE, Step.CONSULTATIE),
        ("record", "consultation", None),
        ("move", Step.GESPREK, Step.GESPREK),
        ("move", Step.SIGNALEN, "reden"),               # no reason given
        ("back", Step.SIGNALEN, Step.SIGNALEN),
        ("move", Step.CONSULTATIE, Step.CONSULTATIE),
        ("move", Step.GESPREK, Step.GESPREK),           # the consultation is still on file
    ],
    "naar dezelfde stap kan niet": [
        ("move", Step.SIGNALEN, "al in deze stap"),
    ],
}


def _create(kind, case, ib, records):
    if kind == "consultation":
        records.consultation(case, ib)
    elif kind == "vt_advice":
        records.vt_advice(case, ib)
    elif kind == "conversation":
        records.conversation(case, ib)
    elif kind == "conversation_not_held":
        records.conversation(case, ib, held=False, not_held_reason="veiligheid_kind",
                             not_held_explanation="Vader dreigde.", discussed="",
                             agreements="")
    elif kind == "parent_contact":
        records.conversation(case, ib, kind="contact_ouders")
    elif kind == "sot_discussion":
        records.sot_discussion(case, ib)
    elif kind == "empty_sot_discussion":
        records.sot_discussion(case, ib, nature_severity="", risk_assessment="",
                               agreed_approach="")
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.parametrize("scenario", SCENARIOS.keys())
def test_scenario(scenario, case, ib, records):
    for action, arg, expected in SCENARIOS[scenario]:
        if action == "record":
            _create(arg, case, ib, records)
            continue
        reason = "Nieuwe informatie van de jeugdverpleegkundige." if action == "back" else ""
        before = StepTransition.objects.filter(case=case).count()
        if isinstance(expected, str):
            reasons = _refused(case_id=case.pk, target=arg, actor=ib, reason=reason)
            assert any(expected in r for r in reasons), (action, arg, reasons)
            assert StepTransition.objects.filter(case=case).count() == before
        else:
            case = move_case(case_id=case.pk, target=arg, actor=ib, reason=reason)
            assert case.step == expected
            assert StepTransition.objects.filter(case=case).count() == before + 1
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_first_step_needs_a_signal(make_case, ib):
    case = make_case(signals=[])
    reasons = _refused(case_id=case.pk, target=Step.CONSULTATIE, actor=ib)
    assert any("signaal" in r for r in reasons)


def test_every_move_writes_one_transition_and_one_history_row(case, ib, records):
    history_before = case.history.count()
    moved = move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=ib,
                      reason="Signalen besproken met de veiligheidscoördinator.")
    transitions = list(StepTransition.objects.filter(case=case, kind=TransitionKind.FORWARD))
    assert len(transitions) == 1
    t = transitions[0]
    assert (t.from_step, t.to_step, t.actor, t.cycle) == (Step.SIGNALEN, Step.CONSULTATIE, ib, 1)
    assert t.reason == "Signalen besproken met de veiligheidscoördinator."
    assert case.history.count() == history_before + 1
    latest = case.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == ib
    assert latest.step == Step.CONSULTATIE
    assert moved.lock_version == case.lock_version + 1


def test_back_records_the_reason(case, ib, records, case_at_step):
    case = case_at_step(case, Step.WEGEN, ib)
    case = move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=ib,
                     reason="Nog een consultatie met de jeugdarts.")
    back = StepTransition.objects.get(case=case, kind=TransitionKind.BACK)
    assert (back.from_step, back.to_step, back.actor) == (Step.WEGEN, Step.CONSULTATIE, ib)
    assert back.reason == "Nog een consultatie met de jeugdarts."


@pytest.mark.parametrize("step", [Step.SIGNALEN, Step.CONSULTATIE, Step.GESPREK, Step.WEGEN,
                                  Step.BESLISSEN])
def test_close_at_any_step_needs_reason_and_explanation(step, case, ib, case_at_step):
    case = case_at_step(case, step, ib)
    with pytest.raises(TransitionRefused) as exc:
        close_case(case_id=case.pk, actor=ib, close_reason="", explanation="")
    assert len(exc.value.reasons) == 2
    with pytest.raises(TransitionRefused):
        close_case(case_id=case.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
                   explanation="  ")
    closed = close_case(case_id=case.pk, actor=ib, close_reason=CloseReason.NO_CONCERN,
                        explanation="Zorgen weggenomen na gesprek.")
    assert closed.status == Status.CLOSED and closed.step == step
    t = StepTransition.objects.get(case=case, kind=TransitionKind.CLOSE)
    assert t.actor == ib and "Zorgen weggenomen na gesprek." in t.reason


def test_closed_case_refuses_moves_and_a_second_close(case, ib):
    close_case(case_id=case.pk, actor=ib, close_reason=CloseReason.OTHER, explanation="Klaar.")
    reasons = _refused(case_id=case.pk, target=Step.CONSULTATIE, actor=ib)
    assert any("afgesloten" in r for r in reasons)
    with pytest.raises(TransitionRefused):
        close_case(case_id=case.pk, actor=ib, close_reason=CloseReason.OTHER, explanation="x")


def test_reopen_starts_a_new_cycle_and_keeps_the_transitions(case, ib, case_at_step):
    case = case_at_step(case, Step.GESPREK, ib)
    close_case(case_id=case.pk, actor=ib, close_reason=CloseReason.REGULAR_SUPPORT,
               explanation="Verder in de reguliere ondersteuning.")
    kept = list(StepTransition.objects.filter(case=case).values_list("pk", flat=True))
    with pytest.raises(TransitionRefused):
        reopen_case(case_id=case.pk, actor=ib, reason="")
    reopened = reopen_case(case_id=case.pk, actor=ib, reason="Nieuwe signalen na de zomer.")
    assert (reopened.status, reopened.step, reopened.cycle) == (Status.OPEN, Step.SIGNALEN, 2)
    assert reopened.close_reason == "" and reopened.closed_at is None
    transitions = StepTransition.objects.filter(case=case)
    assert set(kept) <= set(transitions.values_list("pk", flat=True))
    last = transitions.last()
    assert (last.kind, last.cycle, last.to_step) == (TransitionKind.REOPEN, 2, Step.SIGNALEN)
    # An open case cannot be reopened.
    with pytest.raises(TransitionRefused):
        reopen_case(case_id=case.pk, actor=ib, reason="nogmaals")


@pytest.mark.parametrize("role", ["teacher", "invited_teacher", "director", "sot_member"])
def test_only_case_leads_move_a_case(role, request, case, teacher, ib):
    if role == "invited_teacher":
        case_grant_access(case=case, user=teacher, level="contribute", actor=ib)
        user = teacher
    else:
        user = request.getfixturevalue(role)
    reasons = _refused(case_id=case.pk, target=Step.CONSULTATIE, actor=user)
    assert any("niet naar een andere stap" in r for r in reasons)
    with pytest.raises(TransitionRefused):
        close_case(case_id=case.pk, actor=user, close_reason=CloseReason.OTHER,
                   explanation="x")
    assert Case.objects.get(pk=case.pk).step == Step.SIGNALEN


def test_vc_moves_a_case_too(case, vc):
    assert move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=vc).step == Step.CONSULTATIE


def test_registered_guard_is_applied(case, ib, monkeypatch):
    monkeypatch.setattr(workflow, "_EXTRA_GUARDS", {})
    workflow.register_guard(Step.CONSULTATIE, lambda c, u: ["Eerst het afwegingskader."])
    assert "Eerst het afwegingskader." in blocking_reasons(case, Step.CONSULTATIE, ib)
    with pytest.raises(TransitionRefused):
        move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=ib)


def test_a_pupil_has_at_most_one_open_case_per_route(ib, pupil):
    from cases.models import Route
    from cases.services import ServiceError, case_open

    case_open(pupil=pupil, actor=ib)
    with pytest.raises(ServiceError, match="loopt al een dossier"):
        case_open(pupil=pupil, actor=ib)
    # The board's route for a suspicion against staff is a separate track.
    assert case_open(pupil=pupil, actor=ib, route=Route.STAFF).route == Route.STAFF
