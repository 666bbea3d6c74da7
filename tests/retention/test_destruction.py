"""The two-person destruction: who may approve and confirm, in which order, and what stops it."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.models import Case, Status
from retention import selectors, services
from retention.models import (DestructionProposal, LegalHold, ProposalState, RetentionTerm,
                              Rule, Tombstone)
from schools.models import Membership
from schools.roles import Role
from tests.factories import PupilFactory, staff

from .conftest import close, due_case, years_ago

pytestmark = pytest.mark.django_db

APPROVE, CONFIRM = services.STAGE_APPROVE, services.STAGE_CONFIRM


def approve(case, user):
    return services.destruction_approve(case_id=case.pk, actor=user, stage=APPROVE)


def confirm(case, user, proposal):
    return services.destruction_approve(case_id=case.pk, actor=user, stage=CONFIRM,
                                        proposal_id=proposal.pk)


def test_vc_approves_directeur_confirms_and_the_case_is_destroyed(case_due, vc, director):
    first = approve(case_due, vc)
    assert first.state == ProposalState.APPROVED and first.approved_role == Role.VC
    assert Case.objects.filter(pk=case_due.pk).exists()  # one approval destroys nothing
    done = confirm(case_due, director, first)
    assert done.state == ProposalState.DONE and done.case_id is None
    assert not Case.objects.filter(pk=case_due.pk).exists()
    tomb = done.tombstone
    assert (tomb.approved_by, tomb.approved_role) == (vc, Role.VC)
    assert (tomb.confirmed_by, tomb.confirmed_role) == (director, Role.DIRECTEUR)
    assert tomb.rule == Rule.TERM and tomb.school_id == case_due.school_id
    assert tomb.pupil_ref == services.pupil_reference(case_due.pupil_id)
    assert tomb.removed["cases.case"] == 1 and tomb.removed["signals.signal"] == 1
    connection.check_constraints()


def test_directeur_may_approve_first_and_vc_confirms(case_due, vc, director):
    confirm(case_due, vc, approve(case_due, director))
    assert not Case.objects.filter(pk=case_due.pk).exists()


def test_the_same_person_cannot_confirm_their_own_approval(case_due, vc):
    first = approve(case_due, vc)
    with pytest.raises(services.RetentionError, match="zelf goedgekeurd"):
        confirm(case_due, vc, first)
    assert Case.objects.filter(pk=case_due.pk).exists()


def test_someone_holding_both_roles_still_needs_a_second_person(case_due, vc, director):
    Membership.objects.create(user=vc, board=case_due.school.board, school=case_due.school,
                              role=Role.DIRECTEUR)
    vc._meldcode_roles = None
    first = approve(case_due, vc)
    with pytest.raises(services.RetentionError, match="zelf goedgekeurd"):
        confirm(case_due, vc, first)
    confirm(case_due, director, first)
    assert not Case.objects.filter(pk=case_due.pk).exists()


def test_two_vcs_are_not_two_roles(case_due, vc, school):
    other_vc = staff(Role.VC, school, username="vc2")
    first = approve(case_due, vc)
    with pytest.raises(services.RetentionError, match="directeur"):
        confirm(case_due, other_vc, first)
    assert Case.objects.filter(pk=case_due.pk).exists()


@pytest.mark.parametrize("role", [Role.IB, Role.LEERKRACHT, Role.SOT])
def test_other_roles_cannot_approve(case_due, school, role):
    with pytest.raises(services.RetentionError):
        approve(case_due, staff(role, school, username=f"x_{role}"))
    assert not DestructionProposal.objects.exists()


def test_a_vc_of_another_school_cannot_approve(case_due, other_school):
    with pytest.raises(services.RetentionError):
        approve(case_due, staff(Role.VC, other_school, username="vc_elders"))


def test_approving_twice_is_refused(case_due, vc, director):
    approve(case_due, vc)
    with pytest.raises(services.RetentionError, match="al goedgekeurd"):
        approve(case_due, director)  # a stale "goedkeuren" form does not become a confirmation
    assert DestructionProposal.objects.count() == 1


def test_a_double_confirmation_destroys_once(case_due, vc, director):
    first = approve(case_due, vc)
    confirm(case_due, director, first)
    with pytest.raises(services.RetentionError, match="bestaat niet meer"):
        confirm(case_due, director, first)
    assert Tombstone.objects.count() == 1


def test_a_confirmation_of_a_lapsed_approval_is_refused(case_due, vc, director):
    first = approve(case_due, vc)
    services.hold_place(case=case_due, reason="klacht", actor=director)
    hold = LegalHold.objects.get()
    services.hold_lift(hold=hold, reason="klacht afgehandeld", actor=director)
    second = approve(case_due, vc)
    with pytest.raises(services.RetentionError, match="gewijzigd of vervallen"):
        confirm(case_due, director, first)
    assert second.pk != first.pk
    assert Case.objects.filter(pk=case_due.pk).exists()


def test_a_role_lost_in_between_invalidates_the_approval(case_due, vc, director):
    first = approve(case_due, vc)
    Membership.objects.filter(user=vc).update(ends_on=years_ago(0, days=1),
                                              starts_on=years_ago(1))
    result = confirm(case_due, director, first)
    assert result.state == ProposalState.INVALID and "rol niet meer" in result.invalid_reason
    assert Case.objects.filter(pk=case_due.pk).exists()
    assert not Tombstone.objects.exists()


def test_a_legal_hold_stops_the_clock_and_voids_a_waiting_approval(case_due, vc, director):
    first = approve(case_due, vc)
    hold = services.hold_place(case=case_due, reason="Rechtszaak loopt", actor=director)
    first.refresh_from_db()
    assert first.state == ProposalState.INVALID
    assert case_due not in selectors.due_cases()
    with pytest.raises(services.RetentionError, match="niet voor vernietiging"):
        approve(case_due, vc)
    services.hold_lift(hold=hold, reason="Uitspraak gedaan", actor=vc)
    hold.refresh_from_db()
    assert hold.lifted_by == vc and not hold.is_active
    assert case_due in selectors.due_cases()
    with pytest.raises(services.RetentionError, match="al opgeheven"):
        services.hold_lift(hold=hold, reason="nogmaals", actor=vc)


def test_only_leads_place_holds(case_due, school):
    with pytest.raises(services.RetentionError):
        services.hold_place(case=case_due, reason="x", actor=staff(Role.IB, school, username="i"))


def test_due_only_after_the_term_for_closed_cases(school, vc):
    early = due_case(school, vc, left_years=1)
    late = due_case(school, vc, left_years=2)  # exactly two years ago today: due
    open_case = due_case(school, vc)
    Case.objects.filter(pk=open_case.pk).update(status=Status.OPEN, close_reason="",
                                                closed_at=None)
    still = PupilFactory(school=school)  # never left
    from cases.services import case_open

    never = close(case_open(pupil=still, actor=vc))
    due = set(selectors.due_cases().values_list("pk", flat=True))
    assert due == {late.pk}
    assert early.pk not in due and open_case.pk not in due and never.pk not in due
    with pytest.raises(services.RetentionError, match="niet voor vernietiging"):
        approve(early, vc)


def test_the_board_sets_its_own_term(school, vc, beheerder, other_school):
    three = due_case(school, vc, left_years=3)
    elsewhere = due_case(other_school, staff(Role.VC, other_school, username="vc_o"),
                         left_years=3)
    services.term_save(board=school.board, record_type="dossier", years=5, actor=beheerder)
    due = set(selectors.due_cases().values_list("pk", flat=True))
    assert three.pk not in due and elsewhere.pk in due  # another board keeps the default
    RetentionTerm.objects.filter(board=school.board).update(years=3)
    assert three.pk in set(selectors.due_cases().values_list("pk", flat=True))
    assert not services.term_save(board=school.board, record_type="dossier", years=3,
                                  actor=beheerder)


def test_an_approval_of_a_case_no_longer_due_lapses_and_stays_lapsed(case_due, vc, director):
    """The pupil came back before the confirmation: refused, and the lapse is committed (not
    rolled back with the refusal), so a later approval starts again from two people."""
    from schools.models import Pupil

    first = approve(case_due, vc)
    Pupil.objects.filter(pk=case_due.pupil_id).update(left_on=None)
    with pytest.raises(services.RetentionError, match="niet voor vernietiging"):
        confirm(case_due, director, first)
    first.refresh_from_db()
    assert first.state == ProposalState.INVALID and first.invalidated_at is not None
    assert Case.objects.filter(pk=case_due.pk).exists()
