"""R44: matches in the Verwijsindex and the regievoerder.

Services (rules, withdrawn registrations, first regie without a reason, conflicts), the add
and edit pages (errors keep the input, stale ``lock_version``), access for every role and
school, the access log, the timeline, the change history, the PDF dossier, the reminder and
the query count of the registration's page.
"""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.history import case_history
from cases.models import (AccessLog, Regie, VerwijsindexMatch, VerwijsindexRegistration,
                          organisations_text)
from cases.record_forms import format_organisations, parse_organisations
from cases.records import record_create, vir_match_create, vir_match_update, vir_withdraw
from cases.services import EditConflict, ServiceError, case_grant_access, case_open
from cases.timeline import case_timeline
from cases.workflow import close_case
from schools.roles import Role
from tests.factories import PupilFactory, staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REGISTERED = TODAY - datetime.timedelta(days=60)
NOTICE = TODAY - datetime.timedelta(days=20)
AGREED = TODAY - datetime.timedelta(days=15)
ORGS = "Wijkteam Noord – J. Jansen, jeugdconsulent\nGGD (jeugdarts)"


def iso(day):
    return day.isoformat()


@pytest.fixture
def vir_school(school):
    school.verwijsindex_enabled = True
    school.save()
    return school


@pytest.fixture
def vcase(vir_school, ib):
    return case_open(pupil=PupilFactory(school=vir_school), actor=ib)


@pytest.fixture
def registration(vcase, ib):
    return record_create(case=vcase, actor=ib, record=VerwijsindexRegistration(
        occurred_on=REGISTERED, parents_informed=True))


def new_match(registration, actor, **fields):
    values = {"notified_on": NOTICE,
              "organisations": [{"organisation": "Wijkteam Noord", "contact": "J. Jansen"}],
              **fields}
    return vir_match_create(registration=registration, actor=actor,
                            match=VerwijsindexMatch(**values))


@pytest.fixture
def match(registration, ib):
    return new_match(registration, ib)


@pytest.fixture
def ib_client(verified_client, ib):
    verified_client.force_login(ib)
    return verified_client


def add_url(case, registration):
    return reverse("cases:vir_match_add", args=[case.pk, registration.pk])


def edit_url(case, registration, match):
    return reverse("cases:vir_match_edit", args=[case.pk, registration.pk, match.pk])


def detail_url(case, registration):
    return reverse("cases:vir_detail", args=[case.pk, registration.pk])


def edit_data(match, **changes):
    return {"notified_on": iso(match.notified_on), "organisations":
            format_organisations(match.organisations), "regie": match.regie,
            "lead_staff": match.lead_staff_id or "", "lead_organisation": match.lead_organisation,
            "lead_contact": match.lead_contact,
            "regie_agreed_on": iso(match.regie_agreed_on) if match.regie_agreed_on else "",
            "lock_version": match.lock_version, "change_reason": "", **changes}


# --- parsing the organisations ----------------------------------------------------------------

def test_organisations_one_per_line_contact_optional():
    found, errors = parse_organisations(ORGS + "\n\nVeilig Thuis\n")
    assert errors == []
    assert found == [{"organisation": "Wijkteam Noord", "contact": "J. Jansen, jeugdconsulent"},
                     {"organisation": "GGD", "contact": "jeugdarts"},
                     {"organisation": "Veilig Thuis", "contact": ""}]
    assert parse_organisations(format_organisations(found))[0] == found
    assert organisations_text(found) == ("Wijkteam Noord (J. Jansen, jeugdconsulent); "
                                         "GGD (jeugdarts); Veilig Thuis")


def test_organisation_line_without_organisation_is_an_error():
    _found, errors = parse_organisations("– J. Jansen")
    assert errors and "Regel 1" in errors[0]


# --- services ---------------------------------------------------------------------------------

def test_create_sets_registration_case_step_author_and_history(registration, vcase, vc):
    m = new_match(registration, vc)
    assert (m.registration, m.case_id, m.step, m.author) == (registration, vcase.pk,
                                                             vcase.step, vc)
    assert m.regie == Regie.PENDING and m.lock_version == 1
    version = m.history.get()
    assert version.history_user == vc and version.history_change_reason == "aangemaakt"


def test_create_refused_on_a_withdrawn_registration(registration, ib):
    vir_withdraw(registration=registration, actor=ib, withdrawn_on=TODAY,
                 base_version=registration.lock_version)
    with pytest.raises(ServiceError, match="ingetrokken"):
        new_match(registration, ib)
    assert not VerwijsindexMatch.objects.exists()


@pytest.mark.parametrize("fields, message", [
    ({"notified_on": TODAY + datetime.timedelta(days=1)}, "in de toekomst"),
    ({"notified_on": REGISTERED - datetime.timedelta(days=1)}, "vóór de datum van registratie"),
    ({"organisations": []}, "minstens één andere organisatie"),
    ({"regie": Regie.OTHER, "lead_organisation": "Wijkteam", "regie_agreed_on":
      NOTICE - datetime.timedelta(days=1)}, "vóór de matchmelding"),
    ({"regie": Regie.OTHER, "lead_organisation": "", "regie_agreed_on": AGREED},
     "organisatie van de regievoerder"),
    ({"regie": Regie.SCHOOL, "regie_agreed_on": AGREED}, "medewerker"),
    ({"regie": Regie.OTHER, "lead_organisation": "Wijkteam"}, "wanneer de regie"),
    ({"lead_organisation": "Wijkteam"}, "kies of de regie"),
])
def test_create_checks_the_rules(registration, ib, fields, message):
    with pytest.raises(ServiceError, match=message):
        new_match(registration, ib, **fields)
    assert not VerwijsindexMatch.objects.exists()


def test_service_refuses_staff_of_another_school_as_regievoerder(registration, ib,
                                                                 other_school):
    outsider = staff(Role.IB, other_school)
    with pytest.raises(ServiceError, match="medewerker van de school"):
        new_match(registration, ib, regie=Regie.SCHOOL, lead_staff=outsider,
                  regie_agreed_on=AGREED)


def test_create_on_a_closed_case_is_allowed(registration, vcase, ib):
    # The signal stays in the index after closing: a match notice can still arrive.
    close_case(case_id=vcase.pk, actor=ib, close_reason="geen_zorg", explanation="Klaar.")
    assert new_match(registration, ib).pk


def test_first_regie_needs_no_reason_a_correction_does(match, ib, vc):
    match.regie, match.lead_staff, match.regie_agreed_on = Regie.SCHOOL, vc, AGREED
    match.lead_organisation = "wordt leeggemaakt"  # the other option's field
    saved = vir_match_update(match=match, actor=vc, base_version=1)
    assert saved.lock_version == 2 and saved.lead_organisation == ""
    assert saved.history.first().history_change_reason == "regievoerder vastgelegd"
    assert saved.history.first().history_user == vc
    saved.lead_staff = ib
    with pytest.raises(ServiceError, match="reden"):
        vir_match_update(match=saved, actor=ib, base_version=2)
    saved = vir_match_update(match=saved, actor=ib, base_version=2, reason="overgedragen")
    assert VerwijsindexMatch.objects.get().lead_staff == ib
    assert saved.history.first().history_change_reason == "overgedragen"


def test_update_with_a_stale_version_is_a_conflict(match, ib, vc):
    stale = VerwijsindexMatch.objects.get(pk=match.pk)
    match.regie, match.lead_organisation, match.regie_agreed_on = Regie.OTHER, "GGD", AGREED
    vir_match_update(match=match, actor=vc, base_version=1)
    stale.regie, stale.lead_staff, stale.regie_agreed_on = Regie.SCHOOL, ib, AGREED
    with pytest.raises(EditConflict) as exc:
        vir_match_update(match=stale, actor=ib, base_version=1, reason="anders")
    assert exc.value.current.lead_organisation == "GGD"
    assert VerwijsindexMatch.objects.get().regie == Regie.OTHER


def test_update_after_withdrawal_is_allowed(registration, match, ib):
    vir_withdraw(registration=registration, actor=ib, withdrawn_on=TODAY,
                 base_version=registration.lock_version)
    match.regie, match.lead_organisation, match.regie_agreed_on = Regie.OTHER, "GGD", AGREED
    assert vir_match_update(match=match, actor=ib, base_version=1).regie == Regie.OTHER


@pytest.mark.parametrize("fields", [
    {"regie": Regie.SCHOOL, "regie_agreed_on": AGREED},  # no staff member
    {"regie": Regie.OTHER, "regie_agreed_on": AGREED},  # no organisation
    {"regie": "", "regie_agreed_on": AGREED},  # a date without a regievoerder
    {"regie": Regie.OTHER, "lead_organisation": "GGD",
     "regie_agreed_on": NOTICE - datetime.timedelta(days=3)},  # agreed before the notice
])
def test_database_constraints(match, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        VerwijsindexMatch.objects.filter(pk=match.pk).update(**fields)


# --- the pages --------------------------------------------------------------------------------

def test_add_form_and_save(ib_client, ib, vcase, registration):
    response = ib_client.get(add_url(vcase, registration))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Match in de Verwijsindex vastleggen" in body
    assert "<textarea" in body and 'name="notified_on"' in body
    assert AccessLog.objects.filter(user=ib, object_type="cases.verwijsindexregistration",
                                    object_id=registration.pk).exists()
    response = ib_client.post(add_url(vcase, registration), {
        "notified_on": iso(NOTICE), "organisations": ORGS, "regie": ""})
    assert response.status_code == 302
    assert response.url == detail_url(vcase, registration)
    m = VerwijsindexMatch.objects.get()
    assert m.author == ib and m.case == vcase and len(m.organisations) == 2
    body = ib_client.get(detail_url(vcase, registration)).content.decode()
    assert "Wijkteam Noord (J. Jansen, jeugdconsulent)" in body
    assert "nog niet afgesproken" in body and "Regievoerder vastleggen" in body


def test_add_with_the_regievoerder_at_once(ib_client, vc, vcase, registration):
    response = ib_client.post(add_url(vcase, registration), {
        "notified_on": iso(NOTICE), "organisations": ORGS, "regie": "school",
        "lead_staff": vc.pk, "regie_agreed_on": iso(AGREED)})
    assert response.status_code == 302
    m = VerwijsindexMatch.objects.get()
    assert (m.regie, m.lead_staff, m.regie_agreed_on) == (Regie.SCHOOL, vc, AGREED)
    body = ib_client.get(detail_url(vcase, registration)).content.decode()
    assert escape(vc.get_full_name()) in body and "(onze school)" in body


@pytest.mark.parametrize("changes, field, message", [
    ({"notified_on": iso(TODAY + datetime.timedelta(days=2))}, "notified_on", "toekomst"),
    ({"notified_on": iso(REGISTERED - datetime.timedelta(days=1))}, "notified_on",
     "vóór de datum van registratie"),
    ({"regie": "andere_organisatie", "lead_organisation": "GGD",
      "regie_agreed_on": iso(NOTICE - datetime.timedelta(days=1))}, "regie_agreed_on",
     "vóór de matchmelding"),
    ({"regie": "andere_organisatie", "lead_organisation": "GGD",
      "regie_agreed_on": iso(TODAY + datetime.timedelta(days=1))}, "regie_agreed_on",
     "toekomst"),
    ({"regie": "", "lead_organisation": "GGD"}, "regie", "kies of de regie"),
    ({"regie": "school", "regie_agreed_on": iso(AGREED)}, "lead_staff", "medewerker"),
    ({"organisations": ""}, "organisations", "minstens één"),
])
def test_add_errors_are_dutch_and_keep_the_input(ib_client, vcase, registration, changes,
                                                 field, message):
    data = {"notified_on": iso(NOTICE), "organisations": ORGS, "regie": "",
            "lead_contact": "mevrouw De Boer", **changes}
    response = ib_client.post(add_url(vcase, registration), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    body = response.content.decode()
    assert f'id="id_{field}_errors"' in body  # linked to the field with aria-describedby
    for name in ("organisations", "lead_contact", "notified_on"):
        if data.get(name):
            assert escape(data[name]) in body
    assert not VerwijsindexMatch.objects.exists()


def test_staff_of_another_school_cannot_be_regievoerder(ib_client, vcase, registration,
                                                        other_school):
    outsider = staff(Role.IB, other_school)
    response = ib_client.post(add_url(vcase, registration), {
        "notified_on": iso(NOTICE), "organisations": ORGS, "regie": "school",
        "lead_staff": outsider.pk, "regie_agreed_on": iso(AGREED)})
    assert response.status_code == 200
    assert "lead_staff" in response.context["form"].errors
    assert not VerwijsindexMatch.objects.exists()


def test_withdrawn_registration_gets_no_new_match(ib_client, ib, vcase, registration):
    vir_withdraw(registration=registration, actor=ib, withdrawn_on=TODAY,
                 base_version=registration.lock_version)
    for response in (ib_client.get(add_url(vcase, registration)),
                     ib_client.post(add_url(vcase, registration),
                                    {"notified_on": iso(NOTICE), "organisations": ORGS})):
        assert response.status_code == 403
        assert "Bij een ingetrokken signaal kan geen nieuwe match" in response.content.decode()
    assert not VerwijsindexMatch.objects.exists()
    body = ib_client.get(detail_url(vcase, registration)).content.decode()
    assert add_url(vcase, registration) not in body
    assert "er kan geen nieuwe match meer bij worden vastgelegd" in body


def test_edit_records_the_regievoerder_without_a_reason(ib_client, ib, vc, vcase,
                                                       registration, match):
    response = ib_client.get(edit_url(vcase, registration, match))
    assert response.status_code == 200
    assert 'name="lock_version" value="1"' in response.content.decode()
    data = edit_data(match, regie="andere_organisatie", lead_organisation="Wijkteam Noord",
                     lead_contact="J. Jansen", regie_agreed_on=iso(AGREED))
    response = ib_client.post(edit_url(vcase, registration, match), data)
    assert response.status_code == 302
    assert response.url.endswith(f"#match-{match.pk}")
    match.refresh_from_db()
    assert (match.regie, match.lead_label(), match.lock_version) == (
        Regie.OTHER, "Wijkteam Noord, J. Jansen", 2)


def test_edit_correction_needs_a_reason(ib_client, vcase, registration, match):
    data = edit_data(match, notified_on=iso(NOTICE + datetime.timedelta(days=1)))
    response = ib_client.post(edit_url(vcase, registration, match), data)
    assert response.status_code == 200
    assert response.context["form"].errors["change_reason"]
    data["change_reason"] = "Datum verkeerd overgenomen."
    assert ib_client.post(edit_url(vcase, registration, match), data).status_code == 302
    match.refresh_from_db()
    assert match.notified_on == NOTICE + datetime.timedelta(days=1)
    assert match.history.first().history_change_reason == "Datum verkeerd overgenomen."


def test_edit_with_a_stale_lock_version_is_refused_and_keeps_the_input(
        ib_client, vc, vcase, registration, match):
    stale = edit_data(match, regie="andere_organisatie", lead_organisation="Mijn invoer",
                      regie_agreed_on=iso(AGREED))
    match.regie, match.lead_staff, match.regie_agreed_on = Regie.SCHOOL, vc, AGREED
    vir_match_update(match=match, actor=vc, base_version=1)
    response = ib_client.post(edit_url(vcase, registration, match), stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Iemand anders heeft dit verslag intussen gewijzigd." in body
    assert "Mijn invoer" in body  # the user's input is still in the form
    assert escape(vc.get_full_name()) in body  # what is saved now
    assert 'name="lock_version" value="2"' in body  # a next save is based on that
    assert VerwijsindexMatch.objects.get().regie == Regie.SCHOOL


def test_edit_of_another_registrations_match_is_404(ib_client, ib, vcase, registration, match):
    other = record_create(case=vcase, actor=ib, record=VerwijsindexRegistration(
        occurred_on=REGISTERED, parents_informed=False))
    assert ib_client.get(edit_url(vcase, other, match)).status_code == 404


# --- access --------------------------------------------------------------------------------------

def _urls(vcase, registration, match):
    return [add_url(vcase, registration), edit_url(vcase, registration, match)]


def test_teacher_without_access_gets_404(verified_client, teacher, vcase, registration, match):
    verified_client.force_login(teacher)
    for url in _urls(vcase, registration, match):
        assert verified_client.get(url).status_code == 404
        assert verified_client.post(url, {"notified_on": iso(NOTICE),
                                          "organisations": ORGS}).status_code == 404
    assert verified_client.get(detail_url(vcase, registration)).status_code == 404
    assert VerwijsindexMatch.objects.count() == 1


def test_reader_sees_but_cannot_record(verified_client, ib, teacher, vcase, registration, match):
    case_grant_access(case=vcase, user=teacher, level="read", actor=ib)
    verified_client.force_login(teacher)
    for url in _urls(vcase, registration, match):
        assert verified_client.get(url).status_code == 403
        assert verified_client.post(url, {"notified_on": iso(NOTICE),
                                          "organisations": ORGS}).status_code == 403
    response = verified_client.get(detail_url(vcase, registration))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Wijkteam Noord (J. Jansen)" in body
    assert add_url(vcase, registration) not in body
    assert edit_url(vcase, registration, match) not in body


def test_contributor_may_record(verified_client, ib, teacher, vcase, registration, match):
    case_grant_access(case=vcase, user=teacher, level="contribute", actor=ib)
    verified_client.force_login(teacher)
    for url in _urls(vcase, registration, match):
        assert verified_client.get(url).status_code == 200


@pytest.mark.parametrize("role", [Role.IB, Role.DIRECTEUR, Role.SOT, Role.BEHEERDER,
                                  Role.BESTUUR])
def test_other_school_and_other_roles_get_404(verified_client, other_school, school, vcase,
                                              registration, match, role):
    if role in Role.board_level():
        user = staff(role, board=other_school.board)
    else:
        user = staff(role, other_school)
    verified_client.force_login(user)
    for url in [*_urls(vcase, registration, match), detail_url(vcase, registration)]:
        assert verified_client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.SOT, Role.BEHEERDER, Role.BESTUUR])
def test_own_school_roles_without_case_access_get_404(verified_client, school, vcase,
                                                      registration, match, role):
    user = staff(role, board=school.board) if role in Role.board_level() else staff(role, school)
    verified_client.force_login(user)
    for url in _urls(vcase, registration, match):
        assert verified_client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.VC, Role.DIRECTEUR])
def test_school_leads_may_record(verified_client, school, vcase, registration, match, role):
    verified_client.force_login(staff(role, school))
    for url in _urls(vcase, registration, match):
        assert verified_client.get(url).status_code == 200


def test_anonymous_is_sent_to_login(client, vcase, registration, match):
    for url in _urls(vcase, registration, match):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login/" in response.url


def test_verwijsindex_switched_off_is_404(ib_client, vcase, registration, match, vir_school):
    vir_school.verwijsindex_enabled = False
    vir_school.save()
    for url in _urls(vcase, registration, match):
        assert ib_client.get(url).status_code == 404


# --- access log -----------------------------------------------------------------------------------

def test_reads_are_logged(ib_client, ib, vcase, registration, match):
    second = new_match(registration, ib)
    AccessLog.objects.all().delete()
    ib_client.get(detail_url(vcase, registration))
    logged = set(AccessLog.objects.filter(user=ib, case=vcase).values_list("object_type",
                                                                           "object_id"))
    assert logged == {("cases.verwijsindexregistration", registration.pk),
                      ("cases.verwijsindexmatch", match.pk),
                      ("cases.verwijsindexmatch", second.pk)}
    AccessLog.objects.all().delete()
    ib_client.get(edit_url(vcase, registration, match))
    assert list(AccessLog.objects.values_list("object_type", "object_id", "case_id")) == [
        ("cases.verwijsindexmatch", match.pk, vcase.pk)]


def test_refused_requests_log_nothing(verified_client, ib, teacher, vcase, registration, match):
    case_grant_access(case=vcase, user=teacher, level="read", actor=ib)
    verified_client.force_login(teacher)
    AccessLog.objects.all().delete()
    verified_client.get(edit_url(vcase, registration, match))
    assert not AccessLog.objects.filter(object_type="cases.verwijsindexmatch").exists()


# --- query count ----------------------------------------------------------------------------------

def test_registration_page_query_count_does_not_grow_with_matches(
        ib_client, ib, vc, vcase, registration, django_assert_max_num_queries):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert ib_client.get(detail_url(vcase, registration)).status_code == 200
        return len(ctx)

    new_match(registration, ib, regie=Regie.SCHOOL, lead_staff=vc, regie_agreed_on=AGREED)
    count()  # warms the per-process caches (roles, permissions)
    one = count()
    for n in range(9):
        new_match(registration, vc if n % 2 else ib,
                  regie=Regie.SCHOOL if n % 2 else Regie.PENDING,
                  lead_staff=ib if n % 2 else None, regie_agreed_on=AGREED if n % 2 else None)
    assert count() == one
    with django_assert_max_num_queries(13):
        ib_client.get(detail_url(vcase, registration))


# --- timeline, history, PDF -----------------------------------------------------------------------

def test_timeline_has_the_match_and_the_regie(ib_client, ib, vc, vcase, registration, match):
    match.regie, match.lead_staff, match.regie_agreed_on = Regie.SCHOOL, vc, AGREED
    vir_match_update(match=match, actor=ib, base_version=1)
    entries = [e for e in case_timeline(vcase) if e.kind in ("vir_match", "vir_regie")]
    assert [(e.kind, e.date) for e in entries] == [("vir_match", NOTICE), ("vir_regie", AGREED)]
    assert ("Andere betrokken organisaties", "Wijkteam Noord (J. Jansen)") in entries[0].details
    body = ib_client.get(reverse("cases:timeline", args=[vcase.pk])).content.decode()
    assert "Match in de Verwijsindex" in body and "Wijkteam Noord (J. Jansen)" in body
    assert "Regievoerder afgesproken" in body and escape(vc.get_full_name()) in body


def test_timeline_of_a_match_without_regie(vcase, match):
    (entry,) = [e for e in case_timeline(vcase) if e.kind.startswith("vir_m")]
    assert ("Regievoerder", "nog niet afgesproken") in entry.details


def test_change_history_shows_the_match(vcase, ib, match):
    match.regie, match.lead_organisation, match.regie_agreed_on = Regie.OTHER, "GGD", AGREED
    vir_match_update(match=match, actor=ib, base_version=1)
    entries = [e for e in case_history(vcase) if e.model_label == "Match in de Verwijsindex"]
    assert [e.kind for e in entries] == ["~", "+"]
    created = {c.field: c.new for c in entries[1].changes}
    assert created["organisations"] == "Wijkteam Noord (J. Jansen)"
    changed = {c.field: (c.old, c.new) for c in entries[0].changes}
    assert changed["lead_organisation"] == ("—", "GGD")
    assert entries[0].reason == "regievoerder vastgelegd"


def test_pdf_dossier_has_the_match_under_its_registration(vcase, ib, vc, director,
                                                          registration):
    from exports.documents import case_for_export, dossier_context
    from exports.pdf import DOSSIER_TEMPLATE, render_html

    new_match(registration, ib, regie=Regie.SCHOOL, lead_staff=vc, regie_agreed_on=AGREED)
    new_match(registration, ib, notified_on=AGREED,
              organisations=[{"organisation": "Jeugdzorg Plus", "contact": ""}])
    html = render_html(DOSSIER_TEMPLATE, dossier_context(case_for_export(vcase.pk),
                                                          requester=director,
                                                          include_history=False))
    start = html.index("Signaal afgegeven in de Verwijsindex")
    section = html[start:html.find("</section>", start)]
    assert section.count("Match in de Verwijsindex") == 2
    assert "Wijkteam Noord (J. Jansen)" in section and "Jeugdzorg Plus" in section
    assert escape(vc.get_full_name()) in section and "nog niet afgesproken" in section
    # In the timeline chapter too.
    assert html.count("Match in de Verwijsindex") >= 4


# --- the reminder (optional part of R44) ----------------------------------------------------------

def test_reminder_when_the_regievoerder_stays_open(registration, vcase, ib, vc):
    from notifications.models import Kind, Notification
    from reminders.builtin import vir_regie_due
    from reminders.services import run_scan

    late = new_match(registration, vc, notified_on=TODAY - datetime.timedelta(days=30))
    new_match(registration, vc, notified_on=TODAY - datetime.timedelta(days=3))  # not yet
    done = new_match(registration, vc, notified_on=TODAY - datetime.timedelta(days=30),
                     regie=Regie.OTHER, lead_organisation="GGD", regie_agreed_on=AGREED)
    due = list(vir_regie_due(timezone.now()))
    assert [d.object_id for d in due] == [late.pk]
    assert set(due[0].users) == {vcase.owner_id, vc.pk}
    assert done.pk not in [d.object_id for d in due]
    run_scan()
    note = Notification.objects.get(user=ib)
    assert note.kind == Kind.REMINDER
    assert note.url == f"{detail_url(vcase, registration)}#match-{late.pk}"
    assert Notification.objects.filter(user=vc).exists()  # the author is a case lead too
    # Withdrawing the registration resolves it.
    vir_withdraw(registration=registration, actor=ib, withdrawn_on=TODAY,
                 base_version=VerwijsindexRegistration.objects.get().lock_version)
    assert list(vir_regie_due(timezone.now())) == []
