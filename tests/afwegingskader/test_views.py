"""Step 5 pages: access for every view and role, the forms (inline Dutch errors, input kept,
conflicts), the report draft, the access log, query budgets and the timeline/history hooks."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afwegingskader import services
from afwegingskader.models import (Assessment, BottleneckNote, Decision, Evaluation,
                                   FollowUpAction, HelpPlan, InformationRequest,
                                   MonitoringAgreement,
                                   SchoolRoleAgreement, VeiligThuisReport)
from afwegingskader.urls import CASE_ACTIONS
from cases.models import AccessLog, Step
from cases.services import case_add_signals, case_grant_access
from cases.workflow import close_case
from schools.roles import Role
from tests.factories import staff

from .conftest import TODAY

pytestmark = pytest.mark.django_db


# --- a world with one of everything -------------------------------------------------------

@pytest.fixture
def world(case5, ib, vc, sot_member, director, teacher, beheerder, school, other_school,
          other_case, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    decision = ak.decide(case5, sot_member, "melden", reporter_id=ib.pk)
    report = ak.report(case5, ib)
    agreement = services.role_agreement_save(
        agreement=SchoolRoleAgreement(report=report, agreed_on=TODAY,
                                      school_role="De school blijft het welzijn volgen."),
        actor=ib)
    action = services.followup_record_save(
        record=FollowUpAction(description="Gesprek", owner_id=ib.pk, due_on=TODAY),
        case=case5, actor=ib)
    monitoring = services.followup_record_save(
        record=MonitoringAgreement(agreed_on=TODAY, parties="ouders", agreement="Volgen."),
        case=case5, actor=ib)
    invited = staff(Role.LEERKRACHT, school, username="lk_uitgenodigd")
    case_grant_access(case=case5, user=invited, level="read")
    users = {
        "ib": ib, "vc": vc, "directeur": director, "sot": sot_member,
        "sot_absent": staff(Role.SOT, school, username="sot_niet_aanwezig"),
        "invited": invited, "teacher": teacher, "beheerder": beheerder,
        "other_ib": staff(Role.IB, other_school, username="ib_andere"),
    }
    return {"case": case5, "decision": decision, "report": report, "agreement": agreement,
            "action": action, "monitoring": monitoring, "users": users,
            "other_case": other_case}


READERS = {"ib", "vc", "directeur", "sot", "invited"}
WRITERS = {"ib", "vc", "directeur", "sot"}
ALL = ["ib", "vc", "directeur", "sot", "sot_absent", "invited", "teacher", "beheerder",
       "other_ib"]


def expected(allowed: set[str], role: str) -> int:
    """200 for allowed roles; 403 for those who see the case but may not act; 404 otherwise."""
    if role in allowed:
        return 200
    return 403 if role in READERS else 404


# (url name, args from the world, roles allowed)
VIEWS = [
    ("step5", lambda w: [w["case"].pk], READERS),
    ("decision_add", lambda w: [w["case"].pk], {"sot", "directeur"}),
    ("decision_add_urgent", lambda w: [w["case"].pk], {"vc"}),
    ("decision_detail", lambda w: [w["case"].pk, w["decision"].pk], READERS),
    ("report_add", lambda w: [w["case"].pk], WRITERS),
    ("report_draft", lambda w: [w["case"].pk], WRITERS),
    ("report_detail", lambda w: [w["case"].pk, w["report"].pk], READERS),
    ("report_edit", lambda w: [w["case"].pk, w["report"].pk], WRITERS),
    ("report_draft_from_report", lambda w: [w["case"].pk, w["report"].pk], WRITERS),
    ("feedback_add", lambda w: [w["case"].pk, w["report"].pk], WRITERS),
    ("role_agreement_add", lambda w: [w["case"].pk, w["report"].pk], WRITERS),
    ("role_agreement_edit", lambda w: [w["case"].pk, w["report"].pk, w["agreement"].pk],
     WRITERS),
    ("info_request_add", lambda w: [w["case"].pk], WRITERS),
    ("help_plan", lambda w: [w["case"].pk], WRITERS),
    ("followup", lambda w: [w["case"].pk], READERS),
    ("bottleneck_add", lambda w: [w["case"].pk], WRITERS),
    ("followup_add", lambda w: [w["case"].pk, "actie"], WRITERS),
    ("followup_add", lambda w: [w["case"].pk, "evaluatie"], WRITERS),
    ("followup_add", lambda w: [w["case"].pk, "nazorg"], WRITERS),
    ("followup_add", lambda w: [w["case"].pk, "monitoring"], WRITERS),
    ("followup_edit", lambda w: [w["case"].pk, "actie", w["action"].pk], WRITERS),
    ("followup_edit", lambda w: [w["case"].pk, "monitoring", w["monitoring"].pk], WRITERS),
]


GET_ONLY = {"decision_detail", "report_detail", "report_draft", "report_draft_from_report",
            "followup"}


def test_every_url_of_the_app_is_in_the_access_table():
    from afwegingskader.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {name for name, _args, _allowed in VIEWS}


@pytest.mark.parametrize("name, args, allowed", VIEWS,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VIEWS)])
def test_access_per_role(verified_client, world, name, args, allowed):
    url = reverse(f"afwegingskader:{name}", args=args(world))
    assert verified_client.get(url).status_code == 302  # anonymous: to the login page
    for role in ALL:
        verified_client.force_login(world["users"][role])
        response = verified_client.get(url)
        assert response.status_code == expected(allowed, role), (role, url)
        if response.status_code == 200:
            body = response.content.decode()
            assert "geen meldplicht" in body  # R51 on every page
        # POST is denied the same way (no write, no leak); read-only pages answer 405 to
        # anyone, before looking at the case.
        if expected(allowed, role) != 200:
            status = verified_client.post(url, {}).status_code
            assert status == (405 if name in GET_ONLY else expected(allowed, role)), (role, url)


@pytest.mark.parametrize("name, args, allowed", VIEWS,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VIEWS)])
def test_other_schools_case_is_404_for_everyone_here(verified_client, world, name, args,
                                                     allowed):
    other = world["other_case"]
    arguments = args(world)
    arguments[0] = other.pk
    url = reverse(f"afwegingskader:{name}", args=arguments)
    for role in ("ib", "vc", "directeur", "sot"):
        verified_client.force_login(world["users"][role])
        assert verified_client.get(url).status_code == 404, (role, url)


def test_objects_of_another_case_are_404(verified_client, world, ib, school, teacher, ak):
    """A record id under the id of another case (that the user may see) is a 404."""
    from cases.services import case_open
    from tests.factories import PupilFactory

    pupil = PupilFactory(school=school)
    second = case_open(pupil=pupil, actor=ib, signals=[ak.create_signal(
        school=school, recorded_by=teacher, pupil=pupil)])
    verified_client.force_login(ib)
    for name, args in [("report_detail", [second.pk, world["report"].pk]),
                       ("decision_detail", [second.pk, world["decision"].pk]),
                       ("report_edit", [second.pk, world["report"].pk]),
                       ("followup_edit", [second.pk, "actie", world["action"].pk]),
                       ("role_agreement_edit", [second.pk, world["report"].pk,
                                                world["agreement"].pk])]:
        url = reverse(f"afwegingskader:{name}", args=args)
        assert verified_client.get(url).status_code == 404, name


def test_unknown_follow_up_kind_is_404(verified_client, world, ib):
    verified_client.force_login(ib)
    assert verified_client.get(f"/dossiers/{world['case'].pk}/opvolging/iets/nieuw/"
                                ).status_code == 404


def test_case_actions_reverse_with_the_case_id(world):
    for action in CASE_ACTIONS:
        assert reverse(action["url_name"], args=[world["case"].pk])
        assert action["perm"] in {"view_case", "add_record", "decide_case", "decide_urgent"}


# --- the step-5 page --------------------------------------------------------------------------

def test_step5_page_shows_questions_advice_and_logs_access(verified_client, case5, ib):
    verified_client.force_login(ib)
    response = verified_client.get(reverse("afwegingskader:step5", args=[case5.pk]))
    body = response.content.decode()
    for n in range(1, 6):
        assert f"Vraag {n}" in body
    assert "Beslissing 1" in body and "Beslissing 2" in body
    assert 'id="ak-advice-table"' in body  # the live advice table, computed by advise()
    assert "De beslissing ligt bij de professionals" in body
    assert "<script>" not in body.replace('<script id="ak-advice-table" type="application/json">',
                                          "")  # no inline script (CSP)
    assert AccessLog.objects.filter(case=case5, user=ib).exists()


def _step5_post(**overrides):
    data = {"q1": "ja", "q1_justification": "Herhaald letsel gezien.", "q2": "", "q2_justification": "",
            "q3": "", "q3_justification": "", "q4": "", "q4_justification": "", "q5": "",
            "q5_justification": "", "q2_change_reason": "", "specialist_consulted": ""}
    data.update(overrides)
    return data


def test_step5_post_saves_and_redirects(verified_client, case5, ib):
    verified_client.force_login(ib)
    url = reverse("afwegingskader:step5", args=[case5.pk])
    response = verified_client.post(url, _step5_post(q2="ja", q2_justification="Acuut."))
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.q1 is True and assessment.q2 == "ja"
    page = verified_client.get(url).content.decode()
    assert "melden bij Veilig Thuis" in page


def test_step5_errors_are_inline_and_input_is_kept(verified_client, case5, ib):
    verified_client.force_login(ib)
    url = reverse("afwegingskader:step5", args=[case5.pk])
    response = verified_client.post(url, _step5_post(q2="nee", q2_justification="",
                                                     q1_justification="Mijn eigen tekst &lt;x>"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Geef een onderbouwing bij vraag 2." in body
    assert "Mijn eigen tekst" in body
    assert not Assessment.objects.exists()


def test_step5_doubt_shows_the_veilig_thuis_hint(verified_client, case5, ib, ak):
    ak.answer(case5, ib, q1=True, q2="twijfel")
    verified_client.force_login(ib)
    body = verified_client.get(reverse("afwegingskader:step5", args=[case5.pk])).content.decode()
    assert "Twijfel? Overleg altijd met Veilig Thuis" in body
    assert 'data-ak-doubt hidden' not in body


def test_step5_disclosure_prefills_q2(verified_client, case5, ib, make_signal):
    case_add_signals(case=case5, signals=[make_signal(disclosure=True)], actor=ib)
    verified_client.force_login(ib)
    body = verified_client.get(reverse("afwegingskader:step5", args=[case5.pk])).content.decode()
    assert "Het kind heeft zelf iets verteld (disclosure)." in body
    assert re.search(r'name="q2" value="ja"[^>]*checked', body)
    assert not re.search(r'name="q1" value="[a-z]+"[^>]*checked', body)
    assert "Reden om bij vraag 2 iets anders" in body


def test_step5_honour_prompt(verified_client, case5, ib, make_signal):
    verified_client.force_login(ib)
    url = reverse("afwegingskader:step5", args=[case5.pk])
    assert "Raadpleeg altijd een specialist" not in verified_client.get(url).content.decode()
    case_add_signals(case=case5, signals=[make_signal(category="eergerelateerd")], actor=ib)
    body = verified_client.get(url).content.decode()
    assert "Raadpleeg altijd een specialist" in body
    assert "Overleg met een specialist over eergerelateerd geweld" in body


def test_step5_is_read_only_for_an_invited_teacher_and_outside_step_5(verified_client, case,
                                                                     case5, teacher, ib):
    case_grant_access(case=case5, user=teacher, level="read")
    verified_client.force_login(teacher)
    url = reverse("afwegingskader:step5", args=[case5.pk])
    body = verified_client.get(url).content.decode()
    assert "Antwoorden opslaan" not in body and "disabled" in body
    assert verified_client.post(url, _step5_post()).status_code == 403


def test_step5_on_a_closed_case_is_refused(verified_client, case5, ib):
    close_case(case_id=case5.pk, actor=ib, close_reason="anders", explanation="Verhuisd.")
    verified_client.force_login(ib)
    response = verified_client.post(reverse("afwegingskader:step5", args=[case5.pk]),
                                    _step5_post())
    assert response.status_code == 403
    assert "afgesloten" in response.content.decode()


def test_step5_conflict_keeps_input(verified_client, case5, ib, vc, ak):
    first = ak.answer(case5, ib, q1=True)
    ak.answer(case5, vc, q1=True, q2="nee")
    verified_client.force_login(ib)
    response = verified_client.post(
        reverse("afwegingskader:step5", args=[case5.pk]),
        _step5_post(q2="ja", q2_justification="Mijn invoer blijft", lock_version=first.lock_version,
                    change_reason="x"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Iemand anders heeft dit intussen gewijzigd." in body
    assert "Mijn invoer blijft" in body
    assert Assessment.objects.get().q2 == "nee"


# --- the decision form --------------------------------------------------------------------------

def _decision_post(user, **overrides):
    data = {"choice": "melden", "decided_on": TODAY.isoformat(), "motivation": "Besproken.",
            "deviation_reason": "", "present": [user.pk], "present_external": "",
            "reporter": str(user.pk), "parents_informer": str(user.pk),
            "parents_informer_other": "", "parents_inform_on": TODAY.isoformat(),
            "parents_exception": "", "parents_exception_explanation": ""}
    data.update(overrides)
    return data


def test_decision_form_requires_reason_when_deviating_and_keeps_input(
        verified_client, case5, ib, sot_member, director, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    verified_client.force_login(sot_member)
    url = reverse("afwegingskader:decision_add", args=[case5.pk])
    page = verified_client.get(url).content.decode()
    assert "melden bij Veilig Thuis" in page and director.get_full_name() in page
    response = verified_client.post(url, _decision_post(
        sot_member, choice="hulp_organiseren", motivation="Mijn toelichting blijft staan"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "wijkt af van het advies" in body and "Mijn toelichting blijft staan" in body
    assert not Decision.objects.exists()
    response = verified_client.post(url, _decision_post(
        sot_member, choice="hulp_organiseren", deviation_reason="Hulp via wijkteam loopt al.",
        present=[sot_member.pk, director.pk],
        present_external="A. Jansen – jeugdarts"))
    decision = Decision.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("afwegingskader:decision_detail",
                                           args=[case5.pk, decision.pk])
    assert decision.deviates and len(decision.present) == 2
    detail = verified_client.get(response["Location"]).content.decode()
    assert "Hulp via wijkteam loopt al." in detail and "jeugdarts" in detail


def test_decision_form_before_advice_shows_what_is_missing(verified_client, case5, sot_member):
    verified_client.force_login(sot_member)
    body = verified_client.get(reverse("afwegingskader:decision_add",
                                       args=[case5.pk])).content.decode()
    assert "nog geen advies" in body and 'name="choice"' not in body


def test_urgent_decision_by_the_veiligheidscoordinator(verified_client, case5, ib, vc, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    verified_client.force_login(vc)
    response = verified_client.post(reverse("afwegingskader:decision_add_urgent",
                                            args=[case5.pk]), _decision_post(vc))
    assert response.status_code == 302
    assert Decision.objects.get().urgent


def test_decision_page_without_a_reporter(verified_client, case5, ib, sot_member, ak):
    """A decision to organise help names no reporter; its page shows a dash (it failed)."""
    ak.answer(case5, ib, **{"q1": True, "q2": "nee", "q3": True, "q4": True})
    decision = ak.decide(case5, sot_member, "hulp_organiseren")
    assert decision.reporter is None
    verified_client.force_login(sot_member)
    response = verified_client.get(reverse("afwegingskader:decision_detail",
                                           args=[case5.pk, decision.pk]))
    assert response.status_code == 200
    assert re.search(r"Wie meldt</dt><dd>—</dd>", response.content.decode())


def test_case_page_shows_the_decision_report_and_feedback_due(verified_client, case5, ib,
                                                              sot_member, ak,
                                                              django_assert_max_num_queries):
    ak.answer(case5, ib, q1=True, q2="ja")
    ak.decide(case5, sot_member, "melden")
    report = ak.report(case5, ib, vt_reference="VT-123")
    verified_client.force_login(ib)
    page = verified_client.get(reverse("cases:detail", args=[case5.pk])).content.decode()
    assert "Besluit, melding en hulp" in page
    assert "Melden bij Veilig Thuis" in page and "VT-123" in page
    due = report.safety_feedback_due
    assert f"verwacht op {due.day} " in page
    assert reverse("afwegingskader:report_detail", args=[case5.pk, report.pk]) in page


def test_case_page_has_no_step5_panel_before_step5(verified_client, case, ib):
    verified_client.force_login(ib)
    page = verified_client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Besluit, melding en hulp" not in page


# --- the report, its draft and feedback ---------------------------------------------------------

def _report_post(user, signal_ids, **overrides):
    data = {"reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "channel": "telefoon",
            "channel_other": "", "reporter": str(user.pk),
            "persons_involved": "Sanne Vermeulen – het kind\nKarin Vermeulen – moeder",
            "signals": [str(s) for s in signal_ids], "steps_taken": "Zie dossier.",
            "parents_informed": "ja", "parents_informed_how": "Gesprek op school.",
            "parents_reaction": "Begrip.", "parents_exception": "",
            "parents_exception_explanation": "", "anonymity_reason": "",
            "anonymity_explanation": "", "vt_reference": "", "investigation_feedback_due": ""}
    data.update(overrides)
    return data


def test_report_form_prefills_from_dossier_and_validates_open_melden(
        verified_client, case5, ib, sot_member, signal, ak):
    ak.answer(case5, ib, q1=True, q2="ja")
    ak.decide(case5, sot_member, "melden", reporter_id=ib.pk)
    verified_client.force_login(ib)
    url = reverse("afwegingskader:report_add", args=[case5.pk])
    page = verified_client.get(url).content.decode()
    assert "Karin Vermeulen – moeder" in page  # persons prefilled from the pupil's parents
    assert "Collegiale consultatie met jeugdverpleegkundige" in page  # steps taken prefilled
    assert "verstuurt zelf niets naar Veilig Thuis" in page  # R50
    response = verified_client.post(url, _report_post(ib, [signal.pk], parents_informed="nee",
                                                      steps_taken="Mijn stappen"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Open melden is de norm" in body and "Mijn stappen" in body
    response = verified_client.post(url, _report_post(
        ib, [signal.pk], anonymity_requested="on", anonymity_reason="veiligheid_anderen"))
    assert response.status_code == 200  # not an allowed anonymity reason
    response = verified_client.post(url, _report_post(ib, [signal.pk]))
    assert response.status_code == 302
    report = VeiligThuisReport.objects.get()
    assert report.persons_involved[1] == {"name": "Karin Vermeulen", "relation": "moeder"}


def test_report_edit_conflict_keeps_input(verified_client, world, ib, vc, signal):
    report = world["report"]
    url = reverse("afwegingskader:report_edit", args=[world["case"].pk, report.pk])
    base = report.lock_version
    verified_client.force_login(vc)
    assert verified_client.post(url, _report_post(
        ib, [signal.pk], lock_version=base, change_reason="kenmerk",
        vt_reference="VT-1")).status_code == 302
    verified_client.force_login(ib)
    response = verified_client.post(url, _report_post(
        ib, [signal.pk], lock_version=base, change_reason="kenmerk", vt_reference="VT-MIJN"))
    assert response.status_code == 409
    assert "VT-MIJN" in response.content.decode()
    report.refresh_from_db()
    assert report.vt_reference == "VT-1"


def test_feedback_form_marks_feedback_received(verified_client, world, ib):
    report = world["report"]
    verified_client.force_login(ib)
    response = verified_client.post(
        reverse("afwegingskader:feedback_add", args=[world["case"].pk, report.pk]),
        {"kind": "veiligheidsbeoordeling", "received_on": TODAY.isoformat(),
         "content": "Onderzoek gestart."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.safety_feedback_received_on == TODAY


def test_report_draft_has_the_sections_facts_interpretations_sources_and_escapes(
        verified_client, case5, ib, sot_member, make_signal, ak):
    case_add_signals(case=case5, signals=[make_signal(
        facts="<script>alert(1)</script> Blauwe plek", child_words="Mama <b>duwde</b> mij",
        interpretation="Ik denk aan mishandeling", source="derde",
        source_detail="buurvrouw")], actor=ib)
    ak.answer(case5, ib, q1=True, q2="ja")
    ak.decide(case5, sot_member, "melden", reporter_id=ib.pk)
    verified_client.force_login(ib)
    response = verified_client.get(reverse("afwegingskader:report_draft", args=[case5.pk]))
    body = response.content.decode()
    for title in ("1. Melder", "2. Betrokkenen", "3. De melding", "4. Het netwerk rond het kind",
                  "5. Overige informatie"):
        assert title in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Blauwe plek" in body
    assert "&lt;b&gt;duwde&lt;/b&gt;" in body
    assert "obs obs--fact" in body and "obs obs--interpretation" in body and "obs--words" in body
    assert f"Interpretatie van {ib.get_full_name()}" in body or "Interpretatie van" in body
    assert "een derde: buurvrouw" in body
    assert "Sanne Vermeulen" in body and "Karin Vermeulen" in body
    assert "verstuurt zelf niets naar Veilig Thuis, de Verwijsindex of de politie" in body
    assert '<textarea id="ak-draft-text"' in body and "readonly" in body
    assert 'data-ak-copy="ak-draft-text"' in body
    text = response.context["text"]
    assert "1. MELDER" in text and "3. DE MELDING" in text
    assert "Feiten (gezien of gehoord): <script>alert(1)</script> Blauwe plek" in text
    assert "Besluit in stap 5: Melden bij Veilig Thuis" in text
    assert AccessLog.objects.filter(case=case5, user=ib).exists()


# --- help plan and follow-up forms --------------------------------------------------------------

def test_help_plan_form(verified_client, case5, ib, ak):
    ak.answer(case5, ib, q1=True, q2="nee", q3=True, q4=True)
    verified_client.force_login(ib)
    url = reverse("afwegingskader:help_plan", args=[case5.pk])
    data = {"help_description": "Gesprekken.", "coordinator": "", "coordinator_name": "",
            "roles": "M. Smit – intern begeleider", "expected_results": "",
            "period_start": TODAY.isoformat(),
            "period_end": (TODAY + datetime.timedelta(days=30)).isoformat(),
            "evaluation_on": (TODAY + datetime.timedelta(days=30)).isoformat()}
    response = verified_client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kies de zorgcoördinator" in body and "Beschrijf de verwachte" in body
    data.update(coordinator=str(ib.pk), expected_results="Geen nieuwe signalen.")
    assert verified_client.post(url, data).status_code == 302
    plan = HelpPlan.objects.get()
    assert plan.coordinator == ib and plan.roles == [{"name": "M. Smit",
                                                      "role": "intern begeleider"}]
    # Adjusting needs a reason.
    data.update(lock_version=plan.lock_version, change_reason="")
    assert verified_client.post(url, data).status_code == 200
    data.update(change_reason="termijn verlengd")
    assert verified_client.post(url, data).status_code == 302


def test_bottleneck_form_refuses_names_and_keeps_input(verified_client, case5, ib):
    verified_client.force_login(ib)
    url = reverse("afwegingskader:bottleneck_add", args=[case5.pk])
    response = verified_client.post(url, {"theme": "wachttijd",
                                          "note": "Sanne Vermeulen wachtte lang op hulp."})
    assert response.status_code == 200
    body = response.content.decode()
    assert "mag niemand herkenbaar maken" in body
    assert "wachtte lang op hulp" in body
    assert not BottleneckNote.objects.exists()
    assert verified_client.post(url, {"theme": "wachttijd",
                                      "note": "Lange wachttijd voor hulp."}).status_code == 302


def test_follow_up_forms(verified_client, case5, ib):
    verified_client.force_login(ib)
    base = f"/dossiers/{case5.pk}/opvolging/"
    assert verified_client.post(base + "evaluatie/nieuw/", {
        "evaluated_on": TODAY.isoformat(), "participants": "", "outcome": "behaald",
        "note": "Het gaat goed."}).status_code == 302
    assert verified_client.post(base + "nazorg/nieuw/", {
        "occurred_on": TODAY.isoformat(), "note": "Wekelijks kort gesprek."}).status_code == 302
    response = verified_client.post(base + "actie/nieuw/", {
        "description": "Gesprek", "owner": "", "due_on": TODAY.isoformat()})
    assert response.status_code == 200  # owner required
    assert verified_client.post(base + "actie/nieuw/", {
        "description": "Gesprek", "owner": str(ib.pk), "due_on": TODAY.isoformat()}
    ).status_code == 302
    assert verified_client.post(base + "monitoring/nieuw/", {
        "agreed_on": TODAY.isoformat(), "parties": "ouders en wijkteam",
        "agreement": "Elke maand contact.", "review_on": ""}).status_code == 302
    assert verified_client.post(f"/dossiers/{case5.pk}/knelpunt/nieuw/", {
        "theme": "informatie", "note": "Terugkoppeling bleef uit."}).status_code == 302
    assert verified_client.post(f"/dossiers/{case5.pk}/informatie-veilig-thuis/nieuw/", {
        "report": "", "requested_on": TODAY.isoformat(), "requested_by": "VT-medewerker",
        "given_on": TODAY.isoformat(), "information_given": "Verzuimoverzicht.",
        "legal_basis": "meldrecht", "legal_basis_explanation": ""}).status_code == 302
    assert Evaluation.objects.count() == 1 and FollowUpAction.objects.count() == 1
    page = verified_client.get(base).content.decode()
    for text in ("Het gaat goed.", "de afgesproken resultaten zijn behaald",
                 "Wekelijks kort gesprek.", "Elke maand contact.", "Terugkoppeling bleef uit.",
                 "Informatie-uitwisseling of terugkoppeling", "Verzuimoverzicht.",
                 "meldrecht (Wet maatschappelijke ondersteuning 2015, art. 5.2.6)"):
        assert text in page, text


def test_follow_up_add_outside_step_5_shows_why(verified_client, case, ib):
    verified_client.force_login(ib)
    body = verified_client.get(f"/dossiers/{case.pk}/opvolging/evaluatie/nieuw/").content.decode()
    assert "Dit kan alleen in" in body


# --- query budgets --------------------------------------------------------------------------

def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("name", ["step5", "report_draft", "followup"])
def test_query_budget_constant_in_the_number_of_signals(verified_client, case5, ib, sot_member,
                                                        make_signal, ak, name):
    ak.answer(case5, ib, q1=True, q2="ja")
    ak.decide(case5, sot_member, "melden", reporter_id=ib.pk)
    ak.report(case5, ib)
    verified_client.force_login(ib)
    url = reverse(f"afwegingskader:{name}", args=[case5.pk])
    verified_client.get(url)  # warm caches (content types, sessions)
    one = _count(verified_client, url)
    case_add_signals(case=case5, signals=[make_signal(interpretation="Zorg", child_words="Au")
                                          for _ in range(24)], actor=ib)
    many = _count(verified_client, url)
    assert one == many
    assert many <= 20, many


def test_report_detail_query_budget(verified_client, world, ib, make_signal):
    verified_client.force_login(ib)
    url = reverse("afwegingskader:report_detail", args=[world["case"].pk, world["report"].pk])
    verified_client.get(url)
    assert _count(verified_client, url) <= 20


# --- timeline and history -----------------------------------------------------------------------

def test_timeline_and_history_show_step_5(verified_client, world, ib):
    from cases.history import case_history
    from cases.timeline import case_timeline

    kinds = {e.kind for e in case_timeline(world["case"])}
    assert {"assessment", "decision", "vt_report", "vt_role_agreement", "followup_action",
            "monitoring"} <= kinds
    labels = {e.model_label for e in case_history(world["case"])}
    assert {"Afwegingskader", "Besluit in stap 5", "Melding bij Veilig Thuis",
            "Signaal in melding"} <= labels
    verified_client.force_login(ib)
    body = verified_client.get(reverse("cases:timeline", args=[world["case"].pk])).content.decode()
    assert "Gemeld bij Veilig Thuis" in body and "Besluit: Melden bij Veilig Thuis" in body


def test_timeline_of_a_case_before_step_5_costs_one_query(case):
    from afwegingskader.timeline import timeline_entries

    with CaptureQueriesContext(connection) as ctx:
        assert timeline_entries(case) == []
    assert len(ctx) == 1


def test_forward_to_follow_up_through_the_case_page(verified_client, world, ib):
    from cases.workflow import move_case

    case = move_case(case_id=world["case"].pk, target=Step.VOLGEN, actor=ib)
    assert case.step == Step.VOLGEN
    verified_client.force_login(ib)
    # Q5 can still be answered in the follow-up phase; the page says Q1–Q4 are locked.
    body = verified_client.get(reverse("afwegingskader:step5", args=[case.pk])).content.decode()
    assert "alleen vraag 5" in body


def test_the_staff_route_has_no_afwegingskader(verified_client, school, pupil):
    """A case about a suspected staff member follows the board's route (domain.md §6)."""
    from cases.models import Route
    from cases.services import case_open

    board_user = staff(Role.BESTUUR, board=school.board, username="bestuurder_ak")
    staff_case = case_open(pupil=pupil, actor=board_user, route=Route.STAFF)
    case_grant_access(case=staff_case, user=board_user, level="contribute")
    verified_client.force_login(board_user)
    for name in ("step5", "followup", "report_draft", "info_request_add"):
        url = reverse(f"afwegingskader:{name}", args=[staff_case.pk])
        assert verified_client.get(url).status_code == 404, name
    with pytest.raises(services.ServiceError):
        services.information_request_record(
            request=InformationRequest(requested_on=TODAY, requested_by="VT", given_on=TODAY,
                                       information_given="x"),
            case=staff_case, actor=board_user)
