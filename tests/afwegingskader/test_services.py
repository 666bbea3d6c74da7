"""Step 5 rules in the services: the afwegingskader answers (R10–R14, R17, R18), the decision
record (R11, R15), the report to Veilig Thuis (R8, R20–R22), the help plan (R13), the
follow-up records (R40–R42) and the workflow guards (R14, R41)."""

import datetime

import pytest
from django.utils import timezone

from afwegingskader import services
from afwegingskader.decision import advise
from afwegingskader.models import (Assessment, BottleneckNote, Decision, DecisionChoice,
                                   Evaluation, FollowUpAction, HelpPlan, MonitoringAgreement,
                                   VeiligThuisReport)
from afwegingskader.selectors import (actions_due, evaluation_due, feedback_due,
                                      went_through_help_path)
from cases.models import Status, Step
from cases.services import EditConflict, ServiceError
from cases.workflow import (TransitionRefused, blocking_reasons, close_case, move_case,
                            reopen_case)
from schools.roles import Role
from tests.factories import staff

from .conftest import TODAY, answers

pytestmark = pytest.mark.django_db


def field_errors(exc_info) -> dict:
    return exc_info.value.errors


# --- the afwegingskader answers ---------------------------------------------------------------

def test_answers_are_saved_with_justification_version_and_history(case5, ib, ak):
    assessment = ak.answer(case5, ib, q1=True, q2="nee")
    assert assessment.q1 is True and assessment.q2 == "nee"
    assert assessment.meldcode_version == case5.meldcode_version  # R48
    assert assessment.doubt_means_report is True
    row = assessment.history.first()
    assert row.history_user == ib and row.history_change_reason == "afwegingskader ingevuld"


@pytest.mark.parametrize("given, field", [
    ({"q1": True, "q1_justification": ""}, "q1_justification"),
    ({"q1": True, "q2": "ja", "q2_justification": "  "}, "q2_justification"),
    ({"q1": None, "q1_justification": "tekst zonder antwoord"}, "q1"),
])
def test_every_answer_needs_a_justification(case5, ib, given, field):
    with pytest.raises(services.FieldErrors) as exc:
        services.assessment_save(case=case5, actor=ib, data=answers(**given), base_version=None)
    assert field in field_errors(exc)
    assert not Assessment.objects.exists()


def test_questions_are_answered_in_order(case5, ib):
    with pytest.raises(services.FieldErrors) as exc:
        services.assessment_save(case=case5, actor=ib, data=answers(q1=True, q3=True),
                                 base_version=None)
    assert "eerst vraag 2" in field_errors(exc)["q3"][0]


@pytest.mark.parametrize("given, field", [
    ({"q1": False, "q2": "ja"}, "q2"),
    ({"q1": True, "q2": "nee", "q3": False, "q4": True}, "q4"),
    ({"q1": True, "q2": "nee", "q3": True, "q4": False, "q5": True}, "q5"),
])
def test_the_deciding_answer_stops_the_questions_after_it(case5, ib, given, field):
    with pytest.raises(services.FieldErrors) as exc:
        services.assessment_save(case=case5, actor=ib, data=answers(**given), base_version=None)
    assert field in field_errors(exc)


def test_afwegingskader_only_at_step_5_and_q5_also_in_follow_up(case, ib):
    # Step 1: nothing can be answered.
    with pytest.raises(ServiceError):
        services.assessment_save(case=case, actor=ib, data=answers(q1=True), base_version=None)


def test_in_follow_up_only_q5_can_change(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    ak.decide(case5, sot_member, "hulp_organiseren")
    _plan(case5, ib)
    case6 = move_case(case_id=case5.pk, target=Step.VOLGEN, actor=ib)
    with pytest.raises(services.FieldErrors) as exc:
        ak.answer(case6, ib, reason="herzien", q1=True, q2="ja", q3=True, q4=True)
    assert "q2" in field_errors(exc)
    assessment = ak.answer(case6, ib, q1=True, q2="nee", q3=True, q4=True, q5=True)
    assert assessment.q5 is True
    assert HelpPlan.objects.get().completed_on == timezone.localdate()  # Q5 answered: evaluated


def test_q5_on_the_help_path_needs_the_help_plan(case5, ib):
    with pytest.raises(services.FieldErrors) as exc:
        services.assessment_save(case=case5, actor=ib, base_version=None, data=answers(
            q1=True, q2="nee", q3=True, q4=True, q5=True))
    assert "hulpplan" in field_errors(exc)["q5"][0]


def test_with_unsafety_q3_to_q5_are_marked_answered_with_veilig_thuis(case5, ib, ak):
    assessment = ak.answer(case5, ib, q1=True, q2="ja", q3=True)
    assert assessment.answered_with_veilig_thuis  # R12
    assert assessment.advice().outcome == "report"


def test_doubt_follows_the_school_setting(case5, ib, ak):
    assert ak.answer(case5, ib, q1=True, q2="twijfel").advice().outcome == "report"
    case5.school.doubt_means_report = False
    case5.school.save()
    assessment = ak.answer(case5, ib, reason="instelling", q1=True, q2="twijfel")
    assert assessment.doubt_means_report is False
    assert assessment.advice().outcome == "incomplete"  # doubt counts as nee: Q3 next


def test_changing_a_given_answer_needs_a_reason(case5, ib, ak):
    ak.answer(case5, ib, q1=True, q2="nee")
    with pytest.raises(services.FieldErrors) as exc:
        ak.answer(case5, ib, q1=True, q2="ja")
    assert "change_reason" in field_errors(exc)
    # Adding the next answer needs no reason.
    ak.answer(case5, ib, q1=True, q2="nee", q3=True)
    assessment = ak.answer(case5, ib, reason="nieuwe informatie", q1=True, q2="ja")
    assert assessment.history.first().history_change_reason == "nieuwe informatie"


def test_a_save_based_on_an_older_version_is_a_conflict(case5, ib, vc, ak):
    first = ak.answer(case5, ib, q1=True)
    ak.answer(case5, vc, q1=True, q2="nee")
    with pytest.raises(EditConflict):
        services.assessment_save(case=case5, actor=ib, data=answers(q1=True, q2="ja"),
                                 base_version=first.lock_version, reason="x")
    # Creating twice is a conflict too (someone else started it meanwhile).
    with pytest.raises(EditConflict):
        services.assessment_save(case=case5, actor=ib, data=answers(q1=True), base_version=None)


def test_disclosure_prefills_q2_and_another_answer_needs_a_reason(make_signal, case5, ib, ak):
    """R18: a disclosure counts as acute unsafety; answering Q2 otherwise needs a reason."""
    from cases.services import case_add_signals

    case_add_signals(case=case5, signals=[make_signal(disclosure=True)], actor=ib)
    with pytest.raises(services.FieldErrors) as exc:
        ak.answer(case5, ib, q1=True, q2="nee")
    assert "q2_change_reason" in field_errors(exc)
    assessment = ak.answer(case5, ib, q1=True, q2="nee",
                           q2_change_reason="Het kind nam het later terug; geen letsel gezien.")
    assert assessment.q2_prefilled_from_disclosure
    assert assessment.q2_change_reason.startswith("Het kind nam")
    # Back to "ja": the reason no longer applies.
    assessment = ak.answer(case5, ib, reason="toch acuut", q1=True, q2="ja")
    assert assessment.q2_change_reason == ""


def test_honour_related_signals_are_flagged_and_specialist_notes_kept(make_signal, case5, ib, ak):
    from afwegingskader.selectors import case_flags
    from cases.services import case_add_signals

    assert not case_flags(case5).honour_related
    case_add_signals(case=case5, signals=[make_signal(category="eergerelateerd")], actor=ib)
    assert case_flags(case5).honour_related  # R17
    assessment = ak.answer(case5, ib, q1=True,
                           specialist_consulted="Overleg met Veilig Thuis, specialist EGG.")
    assert assessment.specialist_consulted.startswith("Overleg")


def test_a_teacher_invited_to_read_cannot_answer(case5, teacher):
    from cases.services import case_grant_access

    case_grant_access(case=case5, user=teacher, level="read")
    with pytest.raises(ServiceError):
        services.assessment_save(case=case5, actor=teacher, data=answers(q1=True),
                                 base_version=None)


# --- the decision -------------------------------------------------------------------------

DEVIATIONS = [
    # (advice answers, choice, deviates)
    ({"q1": True, "q2": True}, "melden", False),
    ({"q1": True, "q2": True}, "beide", False),
    ({"q1": True, "q2": True}, "hulp_organiseren", True),
    ({"q1": True, "q2": True}, "afsluiten", True),
    ({"q1": True, "q2": False, "q3": False}, "melden", False),
    ({"q1": True, "q2": False, "q3": False}, "beide", False),
    ({"q1": True, "q2": False, "q3": False}, "hulp_organiseren", True),
    ({"q1": True, "q2": False, "q3": True, "q4": True}, "hulp_organiseren", False),
    ({"q1": True, "q2": False, "q3": True, "q4": True}, "melden", True),
    ({"q1": True, "q2": False, "q3": True, "q4": True}, "beide", True),
    ({"q1": True, "q2": False, "q3": True, "q4": True}, "afsluiten", True),
    ({"q1": True, "q2": False, "q3": True, "q4": True, "q5": False}, "melden", False),
    ({"q1": True, "q2": False, "q3": True, "q4": True, "q5": False}, "beide", False),
    ({"q1": True, "q2": False, "q3": True, "q4": True, "q5": False}, "hulp_organiseren", True),
    ({"q1": True, "q2": False, "q3": True, "q4": True, "q5": True}, "afsluiten", False),
    ({"q1": True, "q2": False, "q3": True, "q4": True, "q5": True}, "hulp_organiseren", False),
    ({"q1": True, "q2": False, "q3": True, "q4": True, "q5": True}, "melden", True),
    ({"q1": False, "q2": None}, "afsluiten", False),
    ({"q1": False, "q2": None}, "hulp_organiseren", False),
    ({"q1": False, "q2": None}, "melden", True),
]


@pytest.mark.parametrize("given, choice, deviates", DEVIATIONS)
def test_deviation_is_a_different_beslissing_1_or_no_help_when_help_is_advised(given, choice,
                                                                                deviates):
    assert services.decision_deviates(choice, advise(**given)) is deviates


def test_deviation_needs_an_undetermined_advice_to_be_refused():
    with pytest.raises(ValueError):
        services.decision_deviates("melden", advise(True, None))


def test_decision_records_advice_who_decided_with_roles_reporter_and_parents(
        case5, ib, sot_member, director, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    meeting = case5.sotdiscussion_set.get().meeting
    decision = ak.decide(case5, sot_member, "melden", present_user_ids=[director.pk, ib.pk],
                         present_external=[{"name": "A. Jansen", "role": "jeugdarts"}],
                         sot_meeting=meeting, reporter_id=ib.pk, parents_informer_id=ib.pk)
    assert decision.advice_outcome == "report" and decision.advice_report_required is True
    assert decision.advice_reporting_norm == 1 and not decision.deviates
    present = {p["user_id"]: p for p in decision.present}
    assert set(present) == {sot_member.pk, director.pk, ib.pk}  # the recorder is always present
    assert "directeur" in present[director.pk]["role"]
    assert "intern begeleider" in present[ib.pk]["role"]
    assert decision.present_external == [{"name": "A. Jansen", "role": "jeugdarts"}]
    assert decision.reporter == ib and decision.parents_informer == ib
    assert decision.answers_snapshot["q2"] is True
    assert decision.meldcode_version == case5.meldcode_version
    assert decision.history.first().history_user == sot_member


def test_a_deviating_decision_needs_a_reason(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    with pytest.raises(services.FieldErrors) as exc:
        ak.decide(case5, sot_member, "hulp_organiseren")
    assert "deviation_reason" in field_errors(exc)
    decision = ak.decide(case5, sot_member, "hulp_organiseren",
                         deviation_reason="Veilig Thuis adviseerde eerst hulp via het wijkteam.")
    assert decision.deviates and decision.deviation_reason.startswith("Veilig Thuis")


def test_no_decision_before_the_advice_is_determined(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True)
    with pytest.raises(ServiceError, match="nog geen advies"):
        ak.decide(case5, sot_member, "melden")


def test_report_decision_needs_who_reports_and_parents_need_who_or_a_reason(
        case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    with pytest.raises(services.FieldErrors) as exc:
        ak.decide(case5, sot_member, "melden", reporter_id=None, parents_informer_id=None,
                  parents_inform_on=None)
    errors = field_errors(exc)
    assert {"reporter", "parents_informer", "parents_inform_on"} <= set(errors)
    with pytest.raises(services.FieldErrors) as exc:
        ak.decide(case5, sot_member, "melden", parents_informer_id=None,
                  parents_exception="veiligheid_kind", parents_exception_explanation="")
    assert "parents_exception_explanation" in field_errors(exc)
    decision = ak.decide(case5, sot_member, "melden", parents_informer_id=None,
                         parents_inform_on=None, parents_exception="veiligheid_kind",
                         parents_exception_explanation="Vader dreigde het kind te straffen.")
    assert decision.parents_exception == "veiligheid_kind" and decision.parents_informer is None


def test_only_sot_members_at_the_meeting_decide(case5, ib, sot_member, vc, school, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    for user in (ib, vc):  # case leads without decide_case
        with pytest.raises(ServiceError, match="SOT"):
            ak.decide(case5, user, "melden")
    absent = staff(Role.SOT, school, username="sot_afwezig")
    with pytest.raises(ServiceError):
        ak.decide(case5, absent, "melden")
    assert not Decision.objects.exists()


def test_urgent_decisions_only_by_the_veiligheidscoordinator(case5, ib, vc, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    for user in (sot_member, ib):
        with pytest.raises(ServiceError, match="veiligheidscoördinator"):
            ak.decide(case5, user, "melden", urgent=True)
    decision = ak.decide(case5, vc, "melden", urgent=True)
    assert decision.urgent and [p["user_id"] for p in decision.present] == [vc.pk]


def test_sot_meeting_must_have_the_case_on_its_agenda(case5, ib, sot_member, ak):
    from cases.models import SotMeeting

    ak.answer(case5, ib, q1=True, q2="ja")
    other = SotMeeting.objects.create(school=case5.school, held_on=TODAY, chair=ib, created_by=ib)
    with pytest.raises(services.FieldErrors) as exc:
        ak.decide(case5, sot_member, "melden", sot_meeting=other)
    assert "sot_meeting" in field_errors(exc)


def test_present_must_be_staff_of_the_school(case5, ib, sot_member, other_school, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    outsider = staff(Role.IB, other_school, username="ib_buiten")
    with pytest.raises(services.FieldErrors) as exc:
        ak.decide(case5, sot_member, "melden", present_user_ids=[outsider.pk])
    assert "present" in field_errors(exc)


def test_decisions_are_append_only(case5, ib, sot_member, ak):
    from core.models import ImmutableError

    ak.answer(case5, ib, q1=True, q2="ja")
    decision = ak.decide(case5, sot_member, "melden")
    decision.motivation = "anders"
    with pytest.raises(ImmutableError):
        decision.save()


def test_no_decision_on_a_closed_case(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    close_case(case_id=case5.pk, actor=ib, close_reason="anders", explanation="verhuisd")
    with pytest.raises(ServiceError, match="afgesloten"):
        ak.decide(case5, sot_member, "melden")


# --- Veilig Thuis ---------------------------------------------------------------------------

@pytest.fixture
def reported(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    ak.decide(case5, sot_member, "melden", reporter_id=ib.pk)
    return case5


def test_report_needs_a_decision_to_report(case5, ib, ak):
    with pytest.raises(ServiceError, match="besluit"):
        ak.report(case5, ib)


def test_report_sets_feedback_due_five_working_days_later(reported, ib, ak):
    moment = timezone.make_aware(datetime.datetime(2026, 4, 24, 10, 30))  # Friday before Koningsdag
    report = ak.report(reported, ib, reported_at=moment)
    assert report.safety_feedback_due == datetime.date(2026, 5, 4)
    assert report.decision.choice == "melden"
    assert list(report.signal_links.values_list("signal_id", flat=True))
    assert report.history.first().history_user == ib


@pytest.mark.parametrize("data, field", [
    ({"parents_informed": True, "parents_informed_how": ""}, "parents_informed_how"),
    ({"parents_informed": True, "parents_reaction": ""}, "parents_reaction"),
    ({"parents_informed": False, "parents_exception": ""}, "parents_exception"),
    ({"parents_informed": False, "parents_exception": "geen_zin"}, "parents_exception"),
    ({"parents_informed": False, "parents_exception": "veiligheid_kind",
      "parents_exception_explanation": ""}, "parents_exception_explanation"),
    ({"parents_informed": None}, "parents_informed"),
])
def test_open_melden_tenzij(reported, ib, ak, data, field):
    """R8: parents are told beforehand, or one of the fixed reasons is given, with text."""
    with pytest.raises(services.FieldErrors) as exc:
        ak.report(reported, ib, **data)
    assert field in field_errors(exc)
    assert not VeiligThuisReport.objects.exists()


def test_not_informing_parents_with_an_allowed_reason(reported, ib, ak):
    report = ak.report(reported, ib, parents_informed=False, parents_exception="vertrouwensrelatie",
                       parents_exception_explanation="Het kind vertrouwt alleen de juf.",
                       parents_informed_how="wordt genegeerd")
    assert report.parents_exception == "vertrouwensrelatie"
    assert report.parents_informed_how == ""


@pytest.mark.parametrize("reason, ok", [
    ("veiligheid_kind", True), ("veiligheid_professional", True), ("vertrouwensrelatie", True),
    ("veiligheid_anderen", False), ("", False), ("liever_niet", False),
])
def test_anonymity_only_on_an_allowed_reason(reported, ib, ak, reason, ok):
    data = {"anonymity_requested": True, "anonymity_reason": reason,
            "anonymity_explanation": "De vader heeft de leerkracht bedreigd."}
    if ok:
        assert ak.report(reported, ib, **data).anonymity_reason == reason
    else:
        with pytest.raises(services.FieldErrors) as exc:
            ak.report(reported, ib, **data)
        assert "anonymity_reason" in field_errors(exc)


def test_report_signals_must_belong_to_the_case(reported, ib, ak, school, teacher):
    from tests.factories import PupilFactory

    stranger = ak.create_signal(school=school, recorded_by=teacher, pupil=PupilFactory(school=school))
    with pytest.raises(services.FieldErrors) as exc:
        ak.report(reported, ib, signals=[stranger.pk])
    assert "signals" in field_errors(exc)
    with pytest.raises(services.FieldErrors):
        ak.report(reported, ib, signals=[])


def test_feedback_marks_the_expected_feedback_received(reported, ib, ak):
    report = ak.report(reported, ib)
    due_day = report.safety_feedback_due
    assert report in feedback_due(on=due_day)
    assert report not in feedback_due(on=due_day - datetime.timedelta(days=1))
    services.feedback_record(report=report, actor=ib, kind="veiligheidsbeoordeling",
                             received_on=TODAY, content="Veilig Thuis start een onderzoek.")
    report.refresh_from_db()
    assert report.safety_feedback_received_on == TODAY
    assert report not in feedback_due(on=due_day)


def test_report_update_needs_a_reason_and_detects_conflicts(reported, ib, vc, ak):
    report = ak.report(reported, ib)
    data = {**_report_payload(report), "vt_reference": "VT-2026-123"}
    with pytest.raises(services.FieldErrors):
        services.report_update(report=report, actor=ib, data=data, reporter_id=ib.pk,
                               signal_ids=_signal_ids(report), base_version=report.lock_version,
                               reason="")
    services.report_update(report=report, actor=ib, data=data, reporter_id=ib.pk,
                           signal_ids=_signal_ids(report), base_version=report.lock_version,
                           reason="kenmerk ontvangen")
    stale = VeiligThuisReport.objects.get(pk=report.pk)
    with pytest.raises(EditConflict):
        services.report_update(report=stale, actor=vc, data=data, reporter_id=ib.pk,
                               signal_ids=_signal_ids(report), base_version=1, reason="x")


def _report_payload(report):
    return {name: getattr(report, name) for name in services.REPORT_FIELDS}


def _signal_ids(report):
    return list(report.signal_links.values_list("signal_id", flat=True))


def test_information_request_defaults_to_meldrecht(case5, ib):
    from afwegingskader.models import InformationRequest

    request = InformationRequest(requested_on=TODAY, requested_by="VT-medewerker", given_on=TODAY,
                                 information_given="Aanwezigheid en signalen van dit jaar.")
    saved = services.information_request_record(request=request, case=case5, actor=ib)
    assert saved.legal_basis == "meldrecht" and saved.cycle == case5.cycle
    other = InformationRequest(requested_on=TODAY, requested_by="VT", given_on=TODAY,
                               information_given="x", legal_basis="anders")
    with pytest.raises(services.FieldErrors) as exc:
        services.information_request_record(request=other, case=case5, actor=ib)
    assert "legal_basis_explanation" in field_errors(exc)


# --- help plan ----------------------------------------------------------------------------

def _plan(case, actor, **fields):
    values = {"help_description": "Wekelijkse gesprekken met de schoolmaatschappelijk werker.",
              "coordinator_id": actor.pk, "coordinator_name": "",
              "roles": [{"name": "M. Smit", "role": "intern begeleider"}],
              "expected_results": "Geen nieuwe blauwe plekken; ouders volgen opvoedcursus.",
              "period_start": TODAY, "period_end": TODAY + datetime.timedelta(days=42),
              "evaluation_on": TODAY + datetime.timedelta(days=42), **fields}
    return services.help_plan_save(plan=HelpPlan(**values), case=case, actor=actor)


@pytest.mark.parametrize("missing", ["help_description", "coordinator", "roles",
                                     "expected_results", "period_start", "period_end",
                                     "evaluation_on"])
def test_help_plan_requires_every_element_of_r13(case5, ib, ak, missing):
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    empty = {"help_description": "", "roles": [], "expected_results": "", "period_start": None,
             "period_end": None, "evaluation_on": None}
    fields = {"coordinator_id": None} if missing == "coordinator" else {missing: empty[missing]}
    with pytest.raises(services.FieldErrors) as exc:
        _plan(case5, ib, **fields)
    assert missing in field_errors(exc)


def test_help_plan_with_an_outside_coordinator_and_evaluation_due(case5, ib, ak):
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    plan = _plan(case5, ib, coordinator_id=None, coordinator_name="Wijkteam, J. de Wit")
    assert plan.coordinator_name.startswith("Wijkteam")
    assert plan in evaluation_due(on=plan.evaluation_on)
    assert plan not in evaluation_due(on=plan.evaluation_on - datetime.timedelta(days=1))


def test_help_plan_only_on_the_help_path(case5, ib, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    with pytest.raises(ServiceError, match="hulpspoor"):
        _plan(case5, ib)


def test_help_plan_period_must_be_ordered(case5, ib, ak):
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    with pytest.raises(services.FieldErrors) as exc:
        _plan(case5, ib, period_end=TODAY - datetime.timedelta(days=1))
    assert "period_end" in field_errors(exc)


# --- follow-up records ----------------------------------------------------------------------

def test_bottleneck_note_refuses_names_of_pupil_and_parents(case5, ib, pupil):
    for text in ("Sanne wachtte drie maanden op hulp.", "Karin Vermeulen kreeg geen terugbelverzoek.",
                 "Leerling LL777001 stond op de wachtlijst.", "Geboren 09-03-2016, wachtte lang."):
        with pytest.raises(services.FieldErrors) as exc:
            services.followup_record_save(record=BottleneckNote(theme="wachttijd", note=text),
                                          case=case5, actor=ib)
        assert "note" in field_errors(exc), text
    note = services.followup_record_save(
        record=BottleneckNote(theme="wachttijd", note="De wachttijd bij het wijkteam was drie "
                                                      "maanden."), case=case5, actor=ib)
    assert note.school_id == case5.school_id and note.cycle == case5.cycle


def test_bottleneck_note_at_any_step(case, ib):
    note = services.followup_record_save(record=BottleneckNote(theme="kennis", note="Scholing."),
                                         case=case, actor=ib)
    assert note.pk


def test_follow_up_action_owner_must_be_staff_and_done_needs_a_result(case5, ib, other_school):
    outsider = staff(Role.IB, other_school, username="ib_weg")
    action = FollowUpAction(description="Wekelijks gesprek", owner_id=outsider.pk, due_on=TODAY)
    with pytest.raises(services.FieldErrors) as exc:
        services.followup_record_save(record=action, case=case5, actor=ib)
    assert "owner" in field_errors(exc)
    action = services.followup_record_save(
        record=FollowUpAction(description="Wekelijks gesprek", owner_id=ib.pk, due_on=TODAY),
        case=case5, actor=ib)
    assert action in actions_due(on=TODAY)
    action.done_on = TODAY
    with pytest.raises(services.FieldErrors) as exc:
        services.followup_record_save(record=action, case=case5, actor=ib,
                                      base_version=action.lock_version, reason="gedaan")
    assert "result" in field_errors(exc)
    action.result = "Gesprek gevoerd."
    services.followup_record_save(record=action, case=case5, actor=ib,
                                  base_version=action.lock_version, reason="gedaan")
    assert action not in actions_due(on=TODAY)


def test_follow_up_records_not_before_step_5(case, ib):
    with pytest.raises(ServiceError):
        services.followup_record_save(record=Evaluation(evaluated_on=TODAY, outcome="behaald",
                                                        note="Goed."), case=case, actor=ib)


# --- workflow guards ----------------------------------------------------------------------

def test_follow_up_phase_needs_a_decision(case5, ib):
    reasons = blocking_reasons(case5, Step.VOLGEN, ib)
    assert any("besluit" in r for r in reasons)
    with pytest.raises(TransitionRefused):
        move_case(case_id=case5.pk, target=Step.VOLGEN, actor=ib)


def test_follow_up_after_a_report_needs_the_recorded_report(reported, ib, ak):
    assert any("melding" in r for r in blocking_reasons(reported, Step.VOLGEN, ib))
    ak.report(reported, ib)
    assert blocking_reasons(reported, Step.VOLGEN, ib) == []


def test_follow_up_after_help_needs_the_help_plan(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    ak.decide(case5, sot_member, "hulp_organiseren")
    assert any("hulpplan" in r for r in blocking_reasons(case5, Step.VOLGEN, ib))
    _plan(case5, ib)
    assert blocking_reasons(case5, Step.VOLGEN, ib) == []


def test_closing_the_meldcode_track_does_not_go_to_follow_up(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=False)
    ak.decide(case5, sot_member, "afsluiten")
    assert any("sluit het dossier af" in r for r in blocking_reasons(case5, Step.VOLGEN, ib))
    # ...and closing is allowed without evaluation: no help path, not in follow-up.
    closed = close_case(case_id=case5.pk, actor=ib, close_reason="geen_zorg",
                        explanation="Geen vermoeden na het afwegingskader.")
    assert closed.status == Status.CLOSED


def test_closing_after_help_needs_evaluation_and_monitoring(case5, ib, sot_member, ak):
    """R41, R14: help path → an evaluation note and the agreed monitoring before closing."""
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    ak.decide(case5, sot_member, "hulp_organiseren")
    _plan(case5, ib)
    assert went_through_help_path(case5)
    case6 = move_case(case_id=case5.pk, target=Step.VOLGEN, actor=ib)
    ak.answer(case6, ib, q1=True, q2="nee", q3=True, q4=True, q5=True)
    with pytest.raises(TransitionRefused) as exc:
        close_case(case_id=case6.pk, actor=ib, close_reason="hulp_afgerond", explanation="Klaar.")
    text = " ".join(exc.value.reasons)
    assert "evaluatie" in text and "volgen van de (on)veiligheid" in text
    services.followup_record_save(record=Evaluation(evaluated_on=TODAY, outcome="behaald",
                                                    note="De hulp werkte."), case=case6, actor=ib)
    with pytest.raises(TransitionRefused):
        close_case(case_id=case6.pk, actor=ib, close_reason="hulp_afgerond", explanation="Klaar.")
    services.followup_record_save(record=MonitoringAgreement(
        agreed_on=TODAY, parties="ouders, leerkracht, wijkteam",
        agreement="Leerkracht meldt nieuwe signalen aan de IB'er; wijkteam belt over 3 maanden."),
        case=case6, actor=ib)
    closed = close_case(case_id=case6.pk, actor=ib, close_reason="hulp_afgerond",
                        explanation="Klaar.")
    assert closed.status == Status.CLOSED


def test_a_new_cycle_starts_a_new_afwegingskader(case5, ib, sot_member, ak):
    ak.answer(case5, ib, q1=False)
    ak.decide(case5, sot_member, "afsluiten")
    close_case(case_id=case5.pk, actor=ib, close_reason="geen_zorg", explanation="x")
    reopened = reopen_case(case_id=case5.pk, actor=ib, reason="nieuwe signalen")
    from afwegingskader.selectors import assessment_for, latest_decision

    assert assessment_for(reopened) is None and latest_decision(reopened) is None
    assert not went_through_help_path(reopened)
    assert Assessment.objects.filter(case=case5).count() == 1


def test_decision_choices_are_the_four_of_step_5():
    assert set(DecisionChoice.values) == {"melden", "hulp_organiseren", "beide", "afsluiten"}
