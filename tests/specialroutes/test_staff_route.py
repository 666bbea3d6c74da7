"""Suspected perpetrator is a staff member (domain.md §6, R25–R28): the board's route."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseUserObjectPermission, Route
from cases.selectors import (case_permissions, cases_visible_to, signal_get_for_user,
                             signals_visible_to)
from cases.services import ServiceError
from cases.workflow import TransitionRefused, close_case
from notifications.models import Kind, Notification
from schools.roles import Role
from signals.models import Signal
from specialroutes.models import (BoardInformed, InspectorConsultation, Notice, PoliceReport,
                                  StaffConcern)
from specialroutes.selectors import staff_route_status_for
from specialroutes.services import (grant_refusal, route_record_add, staff_route_grant,
                                    staff_route_open)
from tests.factories import MembershipFactory, staff

from .conftest import FACTS

pytestmark = pytest.mark.django_db

REPORT = reverse("specialroutes:staff_report")
OVERVIEW = reverse("specialroutes:staff_overview")
TODAY = datetime.date.today


def _login(client, user):
    client.force_login(user)
    return client


def _detail(case):
    return reverse("specialroutes:staff_detail", args=[case.pk])


def _add(case, kind):
    return reverse("specialroutes:staff_record_add", args=[case.pk, kind])


def _report_data(pupil, **overrides):
    data = {"pupil": pupil.pk, "accused_user": "", "accused_description": "meester Piet, gym",
            "observed_on": timezone.localdate().isoformat(), "category": "seksueel",
            "facts": FACTS, "child_words": "", "interpretation": "", "source": "eigen_waarneming",
            "source_detail": "", "informed_party": "", "informed_name": "", "informed_on": "",
            "informed_channel": ""}
    data.update(overrides)
    return data


def _fresh(user):
    """The same user without the per-request role cache."""
    return type(user).objects.get(pk=user.pk)


# --- reporting ---------------------------------------------------------------------------------

def test_staff_member_reports_and_the_board_route_case_is_created(
        verified_client, teacher, colleague, bestuur, bestuur2, beheerder, pupil):
    response = _login(verified_client, teacher).post(REPORT, _report_data(
        pupil, accused_user=colleague.pk, accused_description="",
        informed_party="bestuur", informed_name="Anna Aalders",
        informed_on=timezone.localdate().isoformat(), informed_channel="telefonisch"))

    concern = StaffConcern.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("specialroutes:staff_report_done", args=[concern.pk])
    case = concern.case
    assert case.route == Route.STAFF and case.pupil == pupil
    assert case.owner == bestuur  # first bestuurder of the board by name
    assert concern.accused_user == colleague and concern.reported_by == teacher
    assert concern.signal.staff_suspect and concern.signal.recorded_by == teacher
    assert list(case.signals.all()) == [concern.signal]
    granted = set(CaseUserObjectPermission.objects.filter(
        content_object=case, permission__codename="contribute_case")
        .values_list("user_id", flat=True))
    assert granted == {bestuur.pk, bestuur2.pk}  # never the beheerder
    assert set(Notification.objects.filter(kind=Kind.CASE_INVITATION)
               .values_list("user_id", flat=True)) == {bestuur.pk, bestuur2.pk}
    informed = BoardInformed.objects.get()
    assert informed.informed_party == "bestuur" and informed.author == teacher
    assert concern.history.get().history_user == teacher


def test_reporter_sees_only_their_confirmation(verified_client, teacher, bestuur, pupil,
                                               report_concern):
    concern = report_concern(teacher, pupil)
    client = _login(verified_client, teacher)

    done = client.get(reverse("specialroutes:staff_report_done", args=[concern.pk]))
    assert done.status_code == 200
    html = done.content.decode()
    assert "Informeer het bevoegd gezag ook zelf, direct." in html
    assert "Alleen de directeur inlichten is niet genoeg" in html
    assert client.get(_detail(concern.case)).status_code == 404
    assert client.get(reverse("cases:detail", args=[concern.case.pk])).status_code == 404
    assert not cases_visible_to(_fresh(teacher)).exists()
    # Their own signal stays visible to them (R31: they can still correct it).
    assert signal_get_for_user(_fresh(teacher), concern.signal_id) == concern.signal


def test_confirmation_is_the_reporters_alone(verified_client, teacher, colleague, bestuur, ib,
                                             pupil, report_concern):
    concern = report_concern(teacher, pupil)
    url = reverse("specialroutes:staff_report_done", args=[concern.pk])
    for user in (colleague, bestuur, ib):
        assert _login(verified_client, user).get(url).status_code == 404


def test_report_form_errors_keep_input_and_store_nothing(verified_client, teacher, bestuur,
                                                         pupil):
    response = _login(verified_client, teacher).post(REPORT, _report_data(
        pupil, accused_description="", facts="Mijn eigen woorden", informed_party="directeur"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kies de medewerker of vul naam en functie in." in html
    assert "Vul de naam in van wie u heeft geïnformeerd." in html
    assert "Mijn eigen woorden" in html
    assert not Signal.objects.exists() and not Case.objects.exists()


def test_without_a_bestuurder_nothing_is_stored(verified_client, teacher, beheerder, pupil):
    response = _login(verified_client, teacher).post(REPORT, _report_data(pupil))
    assert response.status_code == 200
    assert "nog geen bestuurder in Meldcode" in response.content.decode()
    assert not Signal.objects.exists() and not Case.objects.exists()


def test_teacher_of_other_school_cannot_report_about_our_pupil(verified_client, other_teacher,
                                                               bestuur, pupil):
    response = _login(verified_client, other_teacher).post(REPORT, _report_data(pupil))
    assert response.status_code == 200 and not StaffConcern.objects.exists()


# --- who sees the case -------------------------------------------------------------------------

def test_only_assigned_bestuurders_see_the_case(verified_client, teacher, ib, vc, director,
                                               sot_member, beheerder, bestuur, other_bestuur,
                                               pupil, report_concern):
    concern = report_concern(teacher, pupil)
    case = concern.case
    assert cases_visible_to(_fresh(bestuur)).filter(pk=case.pk).exists()
    for user in (teacher, ib, vc, director, sot_member, beheerder, other_bestuur):
        assert not cases_visible_to(_fresh(user)).filter(pk=case.pk).exists(), user.username
        client = _login(verified_client, user)
        assert client.get(_detail(case)).status_code == 404, user.username
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
        assert client.get(_add(case, "aangifte")).status_code == 404
    client = _login(verified_client, bestuur)
    assert client.get(_detail(case)).status_code == 200


def test_accused_user_can_never_be_granted_access(teacher, colleague, bestuur, pupil,
                                                  report_concern, school):
    # The accused also holds a board role: still no access, ever.
    MembershipFactory(user=colleague, school=None, board=school.board, role=Role.BESTUUR)
    concern = report_concern(teacher, pupil, accused_user=colleague, accused_description="")
    case = concern.case
    colleague = _fresh(colleague)
    assert not CaseUserObjectPermission.objects.filter(content_object=case,
                                                       user=colleague).exists()
    assert not cases_visible_to(colleague).filter(pk=case.pk).exists()
    assert grant_refusal(case, colleague)
    with pytest.raises(ServiceError):
        staff_route_grant(case=case, user=colleague, actor=bestuur)
    assert case_permissions(colleague, case) == set()


def test_beheerder_and_school_staff_cannot_be_assigned(teacher, director, beheerder, bestuur,
                                                       pupil, report_concern):
    case = report_concern(teacher, pupil).case
    for user in (beheerder, director, teacher):
        with pytest.raises(ServiceError):
            staff_route_grant(case=case, user=_fresh(user), actor=bestuur)
    assert not cases_visible_to(_fresh(beheerder)).filter(pk=case.pk).exists()


def test_accused_bestuurder_is_not_the_owner(teacher, bestuur, bestuur2, pupil, report_concern):
    concern = report_concern(teacher, pupil, accused_user=bestuur, accused_description="")
    assert concern.case.owner == bestuur2
    assert not cases_visible_to(_fresh(bestuur)).exists()


def test_accused_bestuurder_never_sees_the_signal_about_them(verified_client, teacher, bestuur,
                                                            bestuur2, pupil, report_concern):
    concern = report_concern(teacher, pupil, accused_user=bestuur, accused_description="")
    assert not signals_visible_to(_fresh(bestuur)).filter(pk=concern.signal_id).exists()
    assert signals_visible_to(_fresh(bestuur2)).filter(pk=concern.signal_id).exists()
    url = reverse("signals:detail", args=[concern.signal_id])
    assert _login(verified_client, bestuur).get(url).status_code == 404
    assert _login(verified_client, bestuur2).get(url).status_code == 200


def test_a_later_bestuurder_is_added_by_an_assigned_one(verified_client, teacher, bestuur, pupil,
                                                        report_concern, school):
    case = report_concern(teacher, pupil).case
    newcomer = staff(Role.BESTUUR, board=school.board, username="nieuw")
    assert _login(verified_client, newcomer).get(_detail(case)).status_code == 404

    client = _login(verified_client, bestuur)
    page = client.get(_detail(case)).content.decode()
    assert "Een bestuurder toevoegen" in page
    response = client.post(reverse("specialroutes:staff_assign", args=[case.pk]),
                           {"user": newcomer.pk})
    assert response.status_code == 302
    assert _login(verified_client, newcomer).get(_detail(case)).status_code == 200


def test_assign_refuses_anyone_outside_the_candidates(verified_client, teacher, colleague,
                                                      director, bestuur, pupil, report_concern):
    case = report_concern(teacher, pupil, accused_user=colleague, accused_description="").case
    client = _login(verified_client, bestuur)
    url = reverse("specialroutes:staff_assign", args=[case.pk])
    for user in (colleague, director, teacher):
        assert client.post(url, {"user": user.pk}).status_code == 400
    assert not cases_visible_to(_fresh(director)).filter(pk=case.pk).exists()
    assert _login(verified_client, director).post(url, {"user": director.pk}).status_code == 404


# --- the route's records and status ------------------------------------------------------------

def test_informing_only_the_director_does_not_complete_r26(verified_client, teacher, bestuur,
                                                           pupil, report_concern):
    concern = report_concern(teacher, pupil, informed={
        "informed_party": "directeur", "informed_name": "Directeur De Vries",
        "informed_on": timezone.localdate(), "channel": "persoonlijk"})
    status = staff_route_status_for(concern)
    item = status.items[0]
    assert item.key == "board_informed" and not item.done
    assert "Alleen de directeur is geïnformeerd" in item.message
    html = _login(verified_client, bestuur).get(_detail(concern.case)).content.decode()
    assert "Alleen de directeur is geïnformeerd" in html
    assert "telt niet als informeren van het bestuur" in html

    response = verified_client.post(_add(concern.case, "bestuur-geinformeerd"), {
        "informed_party": "bestuur", "informed_name": "Anna Aalders",
        "informed_on": timezone.localdate().isoformat(), "channel": "telefonisch",
        "informed_by": "de leerkracht", "notes": ""})
    assert response.status_code == 302
    assert staff_route_status_for(concern).items[0].done


def test_police_report_is_required_after_a_reasonable_suspicion(verified_client, teacher,
                                                                bestuur, pupil, report_concern):
    concern = report_concern(teacher, pupil)
    case = concern.case
    client = _login(verified_client, bestuur)
    assert client.post(_add(case, "bestuur-geinformeerd"), {
        "informed_party": "bestuur", "informed_name": "Anna Aalders",
        "informed_on": timezone.localdate().isoformat(), "channel": "persoonlijk",
        "informed_by": "leerkracht"}).status_code == 302
    status = staff_route_status_for(concern)
    assert [i.key for i in status.missing] == ["inspector"]
    police = next(i for i in status.items if i.key == "police")
    assert not police.required and "vertrouwensinspecteur" in police.message

    assert client.post(_add(case, "vertrouwensinspecteur"), {
        "consulted_on": timezone.localdate().isoformat(), "inspector_name": "Mw. K. de Wit",
        "reasonable_suspicion": "ja", "notes": ""}).status_code == 302
    status = staff_route_status_for(concern)
    assert status.conclusion is True
    assert {i.key for i in status.missing} == {"police", "notice_accused", "notice_parents"}
    html = client.get(_detail(case)).content.decode()
    assert "Aangifte is verplicht na een redelijk vermoeden." in html
    with pytest.raises(TransitionRefused) as exc:
        close_case(case_id=case.pk, actor=bestuur, close_reason="anders", explanation="Klaar.")
    assert "Aangifte is verplicht na een redelijk vermoeden." in exc.value.reasons

    assert client.post(_add(case, "aangifte"), {
        "reported_on": timezone.localdate().isoformat(), "reported_by_name": "Anna Aalders",
        "reference": "PL0900-2026-123", "notes": ""}).status_code == 302
    for recipient in ("medewerker", "ouders"):
        assert client.post(_add(case, "kennisgeving"), {
            "recipient": recipient, "notified_on": timezone.localdate().isoformat(),
            "notified_by": "Anna Aalders", "channel": "persoonlijk", "notes": ""}
        ).status_code == 302
    assert staff_route_status_for(concern).complete
    assert PoliceReport.objects.get().reference == "PL0900-2026-123"
    assert Notice.objects.count() == 2
    close_case(case_id=case.pk, actor=bestuur, close_reason="anders", explanation="Afgerond.")


def test_no_reasonable_suspicion_makes_police_report_optional(teacher, bestuur, pupil,
                                                              report_concern):
    concern = report_concern(teacher, pupil, informed={
        "informed_party": "bestuur", "informed_name": "Anna", "informed_on": TODAY(),
        "channel": "telefonisch"})
    route_record_add(model=InspectorConsultation, concern=concern, actor=_fresh(bestuur),
                     consulted_on=TODAY(), inspector_name="Dhr. Jansen",
                     reasonable_suspicion=False, notes="")
    status = staff_route_status_for(concern)
    assert status.conclusion is False and status.complete
    assert "geen redelijk vermoeden" in next(i for i in status.items if i.key == "police").message


def test_overview_status_matches_the_detail_status(teacher, bestuur, pupil, report_concern):
    from specialroutes.selectors import staff_concerns_for_overview, staff_route_status_annotated

    concern = report_concern(teacher, pupil, informed={
        "informed_party": "directeur", "informed_name": "De Vries", "informed_on": TODAY(),
        "channel": "telefonisch"})
    actor = _fresh(bestuur)
    steps = [
        (InspectorConsultation, dict(consulted_on=TODAY(), inspector_name="A",
                                     reasonable_suspicion=True)),
        (Notice, dict(recipient="ouders", notified_on=TODAY(), notified_by="A",
                      channel="brief")),
        (BoardInformed, dict(informed_party="bestuur", informed_name="Anna", informed_on=TODAY(),
                             channel="telefonisch", informed_by="leerkracht")),
        (PoliceReport, dict(reported_on=TODAY(), reported_by_name="Anna")),
    ]
    for model, fields in [(None, None), *steps]:
        if model is not None:
            route_record_add(model=model, concern=concern, actor=actor, **fields)
        annotated = staff_route_status_annotated(staff_concerns_for_overview(actor).get())
        listed = staff_route_status_for(StaffConcern.objects.get(pk=concern.pk))
        assert annotated == listed
    assert annotated.conclusion is True
    assert [i.key for i in annotated.missing] == ["notice_accused"]


def test_latest_consultation_counts(teacher, bestuur, pupil, report_concern):
    concern = report_concern(teacher, pupil)
    actor = _fresh(bestuur)
    route_record_add(model=InspectorConsultation, concern=concern, actor=actor,
                     consulted_on=TODAY() - datetime.timedelta(days=3), inspector_name="A",
                     reasonable_suspicion=False)
    route_record_add(model=InspectorConsultation, concern=concern, actor=actor,
                     consulted_on=TODAY(), inspector_name="A", reasonable_suspicion=True)
    assert staff_route_status_for(concern).conclusion is True


def test_record_validation(verified_client, teacher, bestuur, pupil, report_concern):
    concern = report_concern(teacher, pupil)
    client = _login(verified_client, bestuur)
    response = client.post(_add(concern.case, "vertrouwensinspecteur"), {
        "consulted_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
        "inspector_name": "Mw. De Wit", "reasonable_suspicion": "", "notes": "mijn notitie"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "De datum kan niet in de toekomst liggen." in html
    assert "Kies de conclusie van de vertrouwensinspecteur." in html
    assert "mijn notitie" in html
    assert not InspectorConsultation.objects.exists()
    assert client.get(_add(concern.case, "onbekend")).status_code == 404
    with pytest.raises(ServiceError):
        route_record_add(model=PoliceReport, concern=concern, actor=_fresh(bestuur),
                         reported_on=TODAY(), reported_by_name=" ")


def test_records_are_refused_to_those_not_assigned(teacher, ib, bestuur, pupil, report_concern):
    from django.core.exceptions import PermissionDenied

    concern = report_concern(teacher, pupil)
    for user in (teacher, ib):
        with pytest.raises(PermissionDenied):
            route_record_add(model=Notice, concern=concern, actor=_fresh(user),
                             recipient="ouders", notified_on=TODAY(), notified_by="x",
                             channel="brief")


def test_route_shows_on_timeline_and_history(teacher, bestuur, pupil, report_concern):
    from cases.history import case_history
    from cases.timeline import case_timeline

    concern = report_concern(teacher, pupil)
    route_record_add(model=PoliceReport, concern=concern, actor=_fresh(bestuur),
                     reported_on=TODAY(), reported_by_name="Anna")
    kinds = {e.kind for e in case_timeline(concern.case)}
    assert {"signal", "staff_concern", "staff_police"} <= kinds
    labels = {e.model_label for e in case_history(concern.case)}
    assert "Aangifte bij de politie" in labels and "Vermoeden tegen een medewerker" in labels


# --- from a signal recorded on the signal form ---------------------------------------------------

def test_bestuurder_starts_the_route_from_a_staff_suspect_signal(
        verified_client, teacher, colleague, bestuur, bestuur2, other_bestuur, ib, pupil,
        staff_signal):
    signal = staff_signal(teacher, pupil)
    start = reverse("specialroutes:staff_start", args=[signal.pk])
    client = _login(verified_client, bestuur)
    overview = client.get(OVERVIEW).content.decode()
    assert start in overview and "Noor Jansen" in overview
    page = client.get(start)
    assert page.status_code == 200 and FACTS in page.content.decode()

    for user in (other_bestuur, ib, teacher):
        assert _login(verified_client, user).get(start).status_code in (403, 404)

    client = _login(verified_client, bestuur)
    response = client.post(start, {"pupil": pupil.pk, "accused_user": colleague.pk,
                                   "accused_description": ""})
    concern = StaffConcern.objects.get()
    assert response.status_code == 302 and response.url == _detail(concern.case)
    assert concern.started_by == bestuur and concern.reported_by == teacher
    assert concern.case.owner == bestuur
    # The signal is now readable by the assigned bestuurders, and no longer pending.
    assert signal_get_for_user(_fresh(bestuur2), signal.pk) == signal
    assert start not in client.get(OVERVIEW).content.decode()
    assert client.get(start).status_code == 404
    assert Notification.objects.filter(kind=Kind.CASE_INVITATION, user=bestuur2).exists()
    assert not Notification.objects.filter(kind=Kind.CASE_INVITATION, user=bestuur).exists()


def test_normal_signals_cannot_start_the_route(teacher, bestuur, pupil, staff_signal):
    signal = staff_signal(teacher, pupil, staff_suspect=False)
    with pytest.raises(ServiceError):
        staff_route_open(signal=signal, pupil=pupil, actor=_fresh(bestuur),
                         accused_description="x")


def test_school_staff_cannot_start_a_route_for_someone_elses_signal(teacher, colleague, pupil,
                                                                    bestuur, staff_signal):
    from django.core.exceptions import PermissionDenied

    signal = staff_signal(teacher, pupil)
    with pytest.raises(PermissionDenied):
        staff_route_open(signal=signal, pupil=pupil, actor=_fresh(colleague),
                         accused_description="x")


# --- page permissions --------------------------------------------------------------------------

def test_page_permissions_by_role(verified_client, teacher, ib, vc, director, sot_member,
                                  beheerder, bestuur, other_bestuur):
    expected = {
        teacher: (200, 403), ib: (200, 403), vc: (200, 403), director: (200, 403),
        sot_member: (200, 403), beheerder: (403, 403), bestuur: (403, 200),
        other_bestuur: (403, 200),
    }
    for user, (report, overview) in expected.items():
        client = _login(verified_client, user)
        assert client.get(REPORT).status_code == report, user.username
        assert client.get(OVERVIEW).status_code == overview, user.username


def test_anonymous_is_sent_to_login(client, teacher, bestuur, pupil, report_concern):
    concern = report_concern(teacher, pupil)
    for url in (REPORT, OVERVIEW, _detail(concern.case), _add(concern.case, "aangifte"),
                reverse("specialroutes:staff_report_done", args=[concern.pk]),
                reverse("specialroutes:staff_start", args=[concern.signal_id])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


def test_other_board_sees_nothing(verified_client, teacher, bestuur, other_bestuur, pupil,
                                  report_concern, staff_signal):
    concern = report_concern(teacher, pupil)
    pending = staff_signal(teacher, pupil)
    client = _login(verified_client, other_bestuur)
    assert client.get(_detail(concern.case)).status_code == 404
    assert client.get(_add(concern.case, "aangifte")).status_code == 404
    assert client.get(reverse("specialroutes:staff_start", args=[pending.pk])).status_code == 404
    html = client.get(OVERVIEW).content.decode()
    assert concern.case.number not in html and "Noor Jansen" not in html


def test_normal_case_is_not_a_board_route_page(verified_client, teacher, bestuur, ib, pupil):
    from cases.services import case_open

    case = case_open(pupil=pupil, actor=ib)
    assert _login(verified_client, ib).get(_detail(case)).status_code == 404


def test_closed_case_takes_no_more_records(verified_client, teacher, bestuur, pupil,
                                           report_concern):
    concern = report_concern(teacher, pupil, informed={
        "informed_party": "bestuur", "informed_name": "Anna", "informed_on": TODAY(),
        "channel": "telefonisch"})
    route_record_add(model=InspectorConsultation, concern=concern, actor=_fresh(bestuur),
                     consulted_on=TODAY(), inspector_name="A", reasonable_suspicion=False)
    close_case(case_id=concern.case_id, actor=_fresh(bestuur), close_reason="anders",
               explanation="Geen redelijk vermoeden.")
    client = _login(verified_client, bestuur)
    assert client.get(_detail(concern.case)).status_code == 200
    assert client.get(_add(concern.case, "aangifte")).status_code == 403


def test_overview_query_count_is_constant(verified_client, teacher, bestuur, school,
                                          report_concern, staff_signal,
                                          django_assert_max_num_queries):
    from tests.factories import PupilFactory

    def make(n):
        for _i in range(n):
            pupil = PupilFactory(school=school)
            concern = report_concern(teacher, pupil)
            route_record_add(model=PoliceReport, concern=concern, actor=_fresh(bestuur),
                             reported_on=TODAY(), reported_by_name="Anna")
            staff_signal(teacher, pupil)

    client = _login(verified_client, bestuur)
    make(1)
    with django_assert_max_num_queries(12):
        client.get(OVERVIEW)
    make(24)
    with django_assert_max_num_queries(12):
        html = client.get(OVERVIEW).content.decode()
    assert html.count("/route/bestuur/dossier/") == 25
    assert html.count("/route/bestuur/signaal/") == 25


def test_case_timeline_and_history_pages_show_the_route(verified_client, teacher, bestuur, pupil,
                                                        report_concern):
    concern = report_concern(teacher, pupil)
    route_record_add(model=PoliceReport, concern=concern, actor=_fresh(bestuur),
                     reported_on=TODAY(), reported_by_name="Anna Aalders", reference="PV-1")
    client = _login(verified_client, bestuur)
    timeline = client.get(reverse("cases:timeline", args=[concern.case_id]))
    assert timeline.status_code == 200
    html = timeline.content.decode()
    assert "Route bevoegd gezag gestart" in html and "PV-1" in html
    client.step_up()  # the change history asks a fresh 2FA code (core.stepup)
    history = client.get(reverse("cases:history", args=[concern.case_id]))
    assert history.status_code == 200 and "Aangifte bij de politie" in history.content.decode()


def test_grant_hook_refuses_the_accused_when_cases_offers_it(teacher, colleague, bestuur, pupil,
                                                             report_concern, school):
    """``cases.services.case_grant_access`` consults ``grant_refusal`` once the lead adds
    ``register_grant_guard``; until then ``staff_route_grant`` is the guarded path."""
    from cases import services as case_services

    if not hasattr(case_services, "register_grant_guard"):
        pytest.skip("cases.services.register_grant_guard not available yet")
    MembershipFactory(user=colleague, school=None, board=school.board, role=Role.BESTUUR)
    case = report_concern(teacher, pupil, accused_user=colleague, accused_description="").case
    with pytest.raises(ServiceError):
        case_services.case_grant_access(case=case, user=_fresh(colleague), level="read",
                                        actor=bestuur)
