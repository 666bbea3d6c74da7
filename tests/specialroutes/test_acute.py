"""Acute danger (R5): any staff member records a call to Veilig Thuis / 112; the case opens,
the directeur and veiligheidscoördinator hear of it, a retrospective is due within 24 hours."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Case, Route
from cases.selectors import case_permissions, cases_visible_to
from cases.services import ServiceError, case_open
from cases.workflow import TransitionRefused, close_case
from notifications.models import Kind, Notification
from schools.roles import Role
from specialroutes.models import AcuteCall, AcuteRetrospective, CalledParty
from specialroutes.services import (VersionConflict, acute_call_record,
                                    acute_retrospective_save)
from tests.factories import MembershipFactory, PupilFactory, SchoolClassFactory, staff

pytestmark = pytest.mark.django_db

CREATE = reverse("specialroutes:acute_create")
LIST = reverse("specialroutes:acute_list")

RETRO = dict(situation="Leerling kwam huilend binnen en durfde niet naar huis.",
             facts="Striemen op de rug gezien.", child_words="Papa slaat me met de riem.",
             interpretation="Ik denk dat het vaker gebeurt.",
             phone_summary="Veilig Thuis adviseerde het kind op school te houden.",
             agreements="Veilig Thuis komt om 15.00 uur.", informed="Directeur, IB'er.")


def _login(client, user):
    client.force_login(user)
    return client


def _post_data(pupil, **overrides):
    data = {"pupil": pupil.pk, "called_party": CalledParty.VEILIG_THUIS,
            "called_party_other": "",
            "called_at": timezone.localtime(timezone.now() - datetime.timedelta(minutes=5))
            .strftime("%Y-%m-%dT%H:%M"),
            "phone_note": "Veilig Thuis komt langs."}
    data.update(overrides)
    return data


# --- recording ---------------------------------------------------------------------------------

def test_any_staff_member_records_a_call_and_a_case_opens(verified_client, teacher, vc, ib,
                                                          pupil):
    response = _login(verified_client, teacher).post(CREATE, _post_data(pupil))

    call = AcuteCall.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("specialroutes:acute_detail", args=[call.pk])
    case = call.case
    assert case.acute and case.route == Route.MELDCODE and case.pupil == pupil
    assert case.owner == vc  # a veiligheidscoördinator of the school coordinates
    assert call.called_by == teacher and call.opened_case
    assert call.retrospective_due_at == call.called_at + datetime.timedelta(hours=24)
    assert call.retrospective_entered_at is None
    # The caller may see and complete the case they started.
    assert cases_visible_to(teacher).filter(pk=case.pk).exists()
    assert {"view_case", "add_record"} <= case_permissions(teacher, case)
    assert call.history.get().history_user == teacher


def test_phone_page_offers_call_links_and_pupils_of_own_school_only(verified_client, teacher,
                                                                   pupil, other_pupil):
    html = _login(verified_client, teacher).get(CREATE).content.decode()
    assert 'href="tel:112"' in html and 'href="tel:08002000"' in html
    assert "Noor Jansen" in html and "Fleur Visser" not in html
    assert 'type="datetime-local"' in html and "data-filterable" in html
    assert "<script>" not in html and "onclick" not in html and 'style="' not in html


def test_owner_falls_back_to_ib_then_caller(record_call, teacher, ib, pupil, school):
    assert record_call(teacher, pupil).case.owner == ib
    lonely = PupilFactory(school=school)
    ib.memberships.update(ends_on=timezone.localdate() - datetime.timedelta(days=1),
                          starts_on=datetime.date(2020, 1, 1))
    assert record_call(teacher, lonely).case.owner == teacher


def test_vc_calling_owns_the_case(record_call, vc, pupil, school):
    staff(Role.VC, school, last_name="Aaa")  # another VC, first by name
    assert record_call(vc, pupil).case.owner == vc


def test_teacher_of_other_school_cannot_choose_a_pupil_of_this_school(
        verified_client, other_teacher, pupil):
    response = _login(verified_client, other_teacher).post(CREATE, _post_data(pupil))

    assert response.status_code == 200
    assert "Kies een leerling van uw eigen school." in response.content.decode()
    assert not AcuteCall.objects.exists() and not Case.objects.exists()
    with pytest.raises(ServiceError):
        acute_call_record(actor=other_teacher, pupil=pupil, called_party="112",
                          called_at=timezone.now())


def test_future_time_and_unnamed_other_party_are_refused_and_input_kept(verified_client,
                                                                         teacher, pupil):
    future = timezone.localtime(timezone.now() + datetime.timedelta(hours=2))
    response = _login(verified_client, teacher).post(CREATE, _post_data(
        pupil, called_at=future.strftime("%Y-%m-%dT%H:%M"), called_party="anders",
        phone_note="Mijn aantekening"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "kan niet in de toekomst liggen" in html
    assert "Vul in wie u heeft gebeld." in html
    assert "Mijn aantekening" in html  # nothing the user typed is lost
    assert not AcuteCall.objects.exists()
    with pytest.raises(ServiceError):
        acute_call_record(actor=teacher, pupil=pupil, called_party="112",
                          called_at=timezone.now() + datetime.timedelta(hours=1))


def test_directeur_and_vc_are_notified_by_content_free_email(
        teacher, vc, ib, director, pupil, record_call, mailoutbox,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = record_call(teacher, pupil, phone_note="Vader dreigde met een mes.")

    notified = set(Notification.objects.filter(kind=Kind.ACUTE).values_list("user", flat=True))
    assert notified == {director.pk, vc.pk}  # not the caller, not the IB'er
    note = Notification.objects.filter(kind=Kind.ACUTE).first()
    assert note.url == reverse("specialroutes:acute_detail", args=[call.pk])
    assert sorted(m.to[0] for m in mailoutbox) == sorted([director.email, vc.email])
    for mail in mailoutbox:
        text = mail.subject + mail.body
        for secret in ("Noor", "Jansen", "mes", "Veilig Thuis komt", call.case.number):
            assert secret not in text
        assert f"/route/acuut/{call.pk}/" in mail.body


def test_call_about_pupil_with_open_case_joins_that_case_without_inviting_caller(
        teacher, ib, pupil, record_call):
    existing = case_open(pupil=pupil, actor=ib)

    call = record_call(teacher, pupil)

    existing.refresh_from_db()
    assert call.case == existing and not call.opened_case
    assert existing.acute
    assert Case.objects.count() == 1
    # The caller keeps their own call, not the whole dossier they were never invited into.
    assert not cases_visible_to(teacher).filter(pk=existing.pk).exists()
    client_ok = acute_retrospective_save(call=call, actor=teacher, base_number=0, **RETRO)
    assert client_ok.number == 1


# --- retrospective -----------------------------------------------------------------------------

def test_caller_enters_retrospective_which_completes_the_call(verified_client, teacher, pupil,
                                                              record_call):
    call = record_call(teacher, pupil)
    client = _login(verified_client, teacher)
    url = reverse("specialroutes:acute_retrospective", args=[call.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Veilig Thuis komt vandaag langs." in page.content.decode()  # prefilled agreements

    response = client.post(url, {"base_number": 0, **RETRO})

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.retrospective_done and call.retrospective_by == teacher
    version = AcuteRetrospective.objects.get()
    assert version.number == 1 and version.facts == RETRO["facts"]
    detail = client.get(reverse("specialroutes:acute_detail", args=[call.pk])).content.decode()
    assert "terugblik vastgelegd" in detail
    assert "Interpretatie van" in detail and "obs--fact" in detail  # facts apart (R29)


def test_retrospective_missing_fields_keep_input(verified_client, teacher, pupil, record_call):
    call = record_call(teacher, pupil)
    response = _login(verified_client, teacher).post(
        reverse("specialroutes:acute_retrospective", args=[call.pk]),
        {"base_number": 0, **RETRO, "facts": "", "agreements": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Beschrijf wat u zelf heeft gezien of gehoord." in html
    assert RETRO["situation"] in html
    assert not AcuteRetrospective.objects.exists()


def test_correction_is_a_new_version_with_reason_and_conflicts_are_caught(teacher, ib, pupil,
                                                                          record_call):
    call = record_call(teacher, pupil)
    acute_retrospective_save(call=call, actor=teacher, base_number=0, **RETRO)
    with pytest.raises(ServiceError):
        acute_retrospective_save(call=call, actor=ib, base_number=1,
                                 **{**RETRO, "informed": "Directeur, IB'er, ouders."})
    second = acute_retrospective_save(call=call, actor=ib, base_number=1, reason="ouders vergeten",
                                      **{**RETRO, "informed": "Directeur, IB'er, ouders."})
    assert second.number == 2
    assert AcuteRetrospective.objects.get(number=1).informed == RETRO["informed"]  # kept
    with pytest.raises(VersionConflict):
        acute_retrospective_save(call=call, actor=teacher, base_number=1, reason="x",
                                 **{**RETRO, "agreements": "Anders"})


def test_overdue_without_retrospective_is_shown(verified_client, teacher, vc, pupil,
                                                record_call):
    call = record_call(teacher, pupil,
                       called_at=timezone.now() - datetime.timedelta(hours=25))
    assert call.is_overdue()

    client = _login(verified_client, vc)
    detail = client.get(reverse("specialroutes:acute_detail", args=[call.pk])).content.decode()
    assert "De terugblik is te laat." in detail
    listing = client.get(LIST).content.decode()
    assert "terugblik te laat" in listing and "acute-table__overdue" in listing

    from django.template import Context, Template
    panel = Template("{% load specialroutes %}{% special_route_panel case %}").render(
        Context({"case": call.case}))
    assert "terugblik te laat" in panel


def test_not_yet_overdue_shows_due_time(teacher, pupil, record_call):
    call = record_call(teacher, pupil)
    assert not call.is_overdue()
    assert call.is_overdue(call.called_at + datetime.timedelta(hours=24, minutes=1))


def test_closing_an_acute_case_requires_the_retrospective(teacher, vc, pupil, record_call):
    call = record_call(teacher, pupil)
    with pytest.raises(TransitionRefused) as exc:
        close_case(case_id=call.case_id, actor=vc, close_reason="anders",
                   explanation="Overgenomen door Veilig Thuis.")
    assert any("terugblik" in str(r) for r in exc.value.reasons)
    acute_retrospective_save(call=call, actor=teacher, base_number=0, **RETRO)
    close_case(case_id=call.case_id, actor=vc, close_reason="anders",
               explanation="Overgenomen door Veilig Thuis.")


def test_call_shows_on_case_timeline_and_history(teacher, pupil, record_call):
    from cases.history import case_history
    from cases.timeline import case_timeline

    call = record_call(teacher, pupil)
    acute_retrospective_save(call=call, actor=teacher, base_number=0, **RETRO)
    kinds = [e.kind for e in case_timeline(call.case)]
    assert "acute_call" in kinds and "acute_retrospective" in kinds
    labels = {e.model_label for e in case_history(call.case)}
    assert "Melding acuut gevaar" in labels and "Terugblik op acuut gevaar" in labels


# --- access ------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client, teacher, pupil, record_call):
    call = record_call(teacher, pupil)
    for url in (CREATE, LIST, reverse("specialroutes:acute_detail", args=[call.pk]),
                reverse("specialroutes:acute_retrospective", args=[call.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


def test_roles_without_school_cannot_record(verified_client, beheerder, bestuur):
    for user in (beheerder, bestuur):
        client = _login(verified_client, user)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, {}).status_code == 403


@pytest.mark.parametrize("role", [Role.LEERKRACHT, Role.IB, Role.VC, Role.DIRECTEUR, Role.SOT])
def test_every_school_role_may_record(verified_client, school, role, pupil):
    user = staff(role, school)
    assert _login(verified_client, user).get(CREATE).status_code == 200
    response = verified_client.post(CREATE, _post_data(pupil))
    assert response.status_code == 302 and AcuteCall.objects.filter(called_by=user).exists()


def test_detail_and_retrospective_permissions(verified_client, teacher, colleague, ib, vc,
                                              director, sot_member, beheerder, other_vc, bestuur,
                                              pupil, record_call):
    call = record_call(teacher, pupil)
    detail = reverse("specialroutes:acute_detail", args=[call.pk])
    retro = reverse("specialroutes:acute_retrospective", args=[call.pk])
    expected = {
        teacher: (200, 200),      # the caller
        ib: (200, 200),           # case leads
        vc: (200, 200),
        director: (200, 200),     # sees the school's cases and may add records
        colleague: (404, 404),    # another teacher: not invited
        sot_member: (404, 404),   # not on an agenda
        beheerder: (404, 404),    # no case content
        bestuur: (404, 404),      # the board does not see school cases
        other_vc: (404, 404),     # other school
    }
    for user, (d, r) in expected.items():
        client = _login(verified_client, user)
        assert client.get(detail).status_code == d, user.username
        assert client.get(retro).status_code == r, user.username
    assert _login(verified_client, colleague).post(retro, {"base_number": 0, **RETRO}) \
        .status_code == 404
    assert not AcuteRetrospective.objects.exists()
    assert verified_client.get(reverse("specialroutes:acute_detail", args=[99999])) \
        .status_code == 404


def test_reading_a_call_is_logged(verified_client, teacher, vc, pupil, record_call):
    call = record_call(teacher, pupil)
    _login(verified_client, vc).get(reverse("specialroutes:acute_detail", args=[call.pk]))
    log = AccessLog.objects.get(user=vc)
    assert log.case_id == call.case_id and log.object_type == "specialroutes.acutecall"


def test_caller_who_left_the_school_loses_the_call(verified_client, teacher, pupil, school):
    teacher2 = staff(Role.LEERKRACHT, school)
    call = acute_call_record(actor=teacher2, pupil=pupil, called_party="112",
                             called_at=timezone.now())
    teacher2.memberships.update(starts_on=datetime.date(2020, 1, 1),
                                ends_on=timezone.localdate() - datetime.timedelta(days=1))
    assert _login(verified_client, teacher2).get(
        reverse("specialroutes:acute_detail", args=[call.pk])).status_code == 404


def test_acute_list_for_vc_and_directeur_only(verified_client, teacher, ib, vc, director,
                                              other_vc, pupil, other_pupil, other_teacher,
                                              record_call):
    own = record_call(teacher, pupil)
    foreign = record_call(other_teacher, other_pupil)
    for user in (teacher, ib):
        assert _login(verified_client, user).get(LIST).status_code == 403
    for user in (vc, director):
        html = _login(verified_client, user).get(LIST).content.decode()
        assert reverse("specialroutes:acute_detail", args=[own.pk]) in html
        assert reverse("specialroutes:acute_detail", args=[foreign.pk]) not in html
        assert "Fleur Visser" not in html  # a staff member may be called Fleur
    html = _login(verified_client, other_vc).get(LIST).content.decode()
    assert "Noor Jansen" not in html
    assert reverse("specialroutes:acute_detail", args=[foreign.pk]) in html


def test_acute_list_hides_completed_closed_calls_unless_all(verified_client, teacher, vc, pupil,
                                                             record_call):
    call = record_call(teacher, pupil)
    acute_retrospective_save(call=call, actor=teacher, base_number=0, **RETRO)
    close_case(case_id=call.case_id, actor=vc, close_reason="anders", explanation="Klaar.")
    url = reverse("specialroutes:acute_detail", args=[call.pk])
    client = _login(verified_client, vc)
    assert url not in client.get(LIST).content.decode()
    assert url in client.get(LIST + "?toon=alle").content.decode()


def test_acute_list_query_count_is_constant(verified_client, vc, school, teacher,
                                            django_assert_max_num_queries):
    klass = SchoolClassFactory(school=school)

    def make(n):
        for _i in range(n):
            acute_call_record(actor=teacher, pupil=PupilFactory(school=school, school_class=klass),
                              called_party="112", called_at=timezone.now())

    client = _login(verified_client, vc)
    make(1)
    with django_assert_max_num_queries(12):
        first = client.get(LIST)
    make(24)
    with django_assert_max_num_queries(12):
        many = client.get(LIST)
    assert first.status_code == many.status_code == 200
    assert len(re.findall(r'href="/route/acuut/\d+/"', many.content.decode())) == 25


def test_several_schools_choose_among_all_their_pupils(verified_client, teacher, pupil,
                                                       other_school, other_pupil):
    MembershipFactory(user=teacher, school=other_school, role=Role.LEERKRACHT)
    html = _login(verified_client, teacher).get(CREATE).content.decode()
    assert "Noor Jansen" in html and "Fleur Visser" in html
    response = verified_client.post(CREATE, _post_data(other_pupil))
    assert response.status_code == 302
    assert AcuteCall.objects.get().school == other_school


def test_case_timeline_page_shows_the_call(verified_client, teacher, vc, pupil, record_call):
    call = record_call(teacher, pupil)
    acute_retrospective_save(call=call, actor=teacher, base_number=0, **RETRO)
    html = _login(verified_client, vc).get(
        reverse("cases:timeline", args=[call.case_id])).content.decode()
    assert "Terugblik op acuut gevaar" in html and RETRO["facts"] in html


def test_the_pdf_dossier_has_an_acute_danger_section(record_call, teacher, pupil):
    from exports.sections import registered
    from specialroutes.integration import acute_dossier_sections
    from specialroutes.services import acute_retrospective_save

    call = record_call(teacher, pupil)
    assert registered()["acuut_gevaar"] is acute_dossier_sections
    (section,) = acute_dossier_sections(call.case)
    values = {f.name: f.value for f in section.entries[0].fields}
    assert values["_missing"] == "nog niet vastgelegd"

    acute_retrospective_save(call=call, actor=teacher, base_number=0,
                             situation="In de klas", facts="<b>Blauwe plek</b> op de arm",
                             phone_summary="VT komt langs", agreements="Bellen morgen",
                             informed="directeur")
    (section,) = acute_dossier_sections(call.case)
    by_name = {f.name: f for f in section.entries[0].fields}
    assert "_missing" not in by_name
    assert by_name["facts"].style == "fact" and by_name["facts"].value.startswith("<b>")
