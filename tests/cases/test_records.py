"""Step records: Verwijsindex registration, consultation, Veilig Thuis advice, conversation and
contact with parents. Add and edit, access, closed cases, conflicts, history, query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.models import (AccessLog, Consultation, Conversation, ConversationKind,
                          VeiligThuisAdvice, VerwijsindexRegistration)
from cases.record_forms import ParticipantsField, format_participants, parse_participants
from cases.records import vir_review_date
from cases.services import case_grant_access, case_open, record_save
from cases.workflow import close_case
from schools.roles import Role
from tests.factories import ParentFactory, PupilFactory, PupilParentFactory, staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ISO_TODAY = TODAY.isoformat()


@pytest.fixture
def rec_pupil(school):
    return PupilFactory(school=school, first_name="Sanne", last_name="van der Berg",
                        external_id="LL424242", date_of_birth=datetime.date(2017, 5, 4))


@pytest.fixture
def rec_case(rec_pupil, ib):
    return case_open(pupil=rec_pupil, actor=ib)


@pytest.fixture
def ib_client(verified_client, ib):
    verified_client.force_login(ib)
    return verified_client


def url(name, case, *args):
    return reverse(f"cases:{name}", args=[case.pk, *args])


# Valid POST data for each record type, and the field that proves it was saved.
VALID = {
    "consultation": ({"occurred_on": ISO_TODAY, "participants": "J. Bakker – leerkracht\n"
                      "M. Smit (intern begeleider)", "consulted": "jeugdverpleegkundige",
                      "question": "Zorgen over verzuim.", "advice": "Gesprek met ouders voeren.",
                      "agreed_actions": "IB'er plant gesprek."}, Consultation, "advice"),
    "vt_advice": ({"occurred_on": ISO_TODAY, "adviser": "adviseur VT", "anonymous": "on",
                   "participants": "M. Smit - intern begeleider",
                   "question": "Een leerling uit groep 4 komt vaak met honger op school.",
                   "advice": "Bespreek de zorgen met de ouders."}, VeiligThuisAdvice, "advice"),
    "conversation": ({"occurred_on": ISO_TODAY, "held": "True",
                      "participants": "M. Smit – intern begeleider\nouders – ouders",
                      "with_parents": "on", "purpose": "Zorgen delen.",
                      "discussed": "De signalen van de laatste weken.",
                      "reactions": "Ouders herkennen het.", "agreements": "Over 2 weken weer."},
                     Conversation, "discussed"),
    "parent_contact": ({"occurred_on": ISO_TODAY, "participants": "J. Bakker – leerkracht",
                        "discussed": "Telefonisch contact over het verzuim."},
                       Conversation, "discussed"),
    "vir": ({"occurred_on": ISO_TODAY, "parents_informed": "True"}, VerwijsindexRegistration,
            "parents_informed"),
}
TYPES = list(VALID)


@pytest.fixture
def enable_vir(school):
    school.verwijsindex_enabled = True
    school.save()
    return school


def make_record(type_name, case, author):
    """A saved record of ``type_name`` through the real services."""
    from cases.record_views import RECORD_TYPES
    from cases.records import record_create

    rt = RECORD_TYPES[type_name]
    data, _model, _field = VALID[type_name]
    form = rt.form_class(data, case=case)
    assert form.is_valid(), form.errors
    return record_create(case=case, record=form.save(commit=False), actor=author)


# --- participants ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Jan de Vries – vader", [{"name": "Jan de Vries", "role": "vader"}]),
    ("Jan de Vries - vader", [{"name": "Jan de Vries", "role": "vader"}]),
    ("Jan de Vries (vader)", [{"name": "Jan de Vries", "role": "vader"}]),
    ("Jan de Vries—vader", [{"name": "Jan de Vries", "role": "vader"}]),
    ("Anne-Fleur Smit - moeder", [{"name": "Anne-Fleur Smit", "role": "moeder"}]),
    ("  A. Jansen – jeugdarts  \n\n B. Bos (IB'er)\n",
     [{"name": "A. Jansen", "role": "jeugdarts"}, {"name": "B. Bos", "role": "IB'er"}]),
    ("", []),
])
def test_participants_are_parsed_into_name_and_role(text, expected):
    people, errors = parse_participants(text)
    assert errors == []
    assert people == expected


@pytest.mark.parametrize("text", ["Jan de Vries", "– vader", "Anne-Fleur", "Jan (", "()"])
def test_participant_without_role_gives_a_dutch_error_naming_the_line(text):
    people, errors = parse_participants("A. Jansen – jeugdarts\n" + text)
    assert len(errors) == 1
    assert "Regel 2" in errors[0]


def test_participants_round_trip_through_the_field():
    field = ParticipantsField(required=True)
    people = field.clean("Jan de Vries (vader)\nM. Smit - intern begeleider")
    assert field.prepare_value(people) == "Jan de Vries – vader\nM. Smit – intern begeleider"
    assert parse_participants(format_participants(people))[0] == people
    with pytest.raises(Exception, match="minstens één"):
        field.clean("")


# --- add -------------------------------------------------------------------------------------

@pytest.mark.parametrize("type_name", TYPES)
def test_add_form_renders_for_the_ib(ib_client, rec_case, enable_vir, type_name,
                                     django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = ib_client.get(url(f"{type_name}_add", rec_case))
    assert response.status_code == 200
    assert rec_case.number in response.content.decode()


@pytest.mark.parametrize("type_name", TYPES)
def test_add_valid_record_at_the_current_step_by_the_author(ib_client, ib, rec_case, enable_vir,
                                                             type_name):
    data, model, field = VALID[type_name]
    response = ib_client.post(url(f"{type_name}_add", rec_case), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[rec_case.pk])
    record = model.objects.get(case=rec_case)
    assert record.step == rec_case.step
    assert record.author == ib
    assert record.occurred_on == TODAY
    assert getattr(record, field)
    history = record.history.get()
    assert history.history_user == ib
    assert history.history_change_reason == "aangemaakt"


def test_participants_are_stored_as_a_list(ib_client, rec_case):
    ib_client.post(url("consultation_add", rec_case), VALID["consultation"][0])
    record = Consultation.objects.get()
    assert record.participants == [{"name": "J. Bakker", "role": "leerkracht"},
                                   {"name": "M. Smit", "role": "intern begeleider"}]


@pytest.mark.parametrize("type_name, missing", [
    ("consultation", "advice"), ("vt_advice", "question"), ("conversation", "discussed"),
    ("parent_contact", "discussed"), ("vir", "parents_informed")])
def test_invalid_add_keeps_the_input_and_saves_nothing(ib_client, rec_case, enable_vir,
                                                       type_name, missing):
    data, model, _ = VALID[type_name]
    data = {**data, missing: ""}
    response = ib_client.post(url(f"{type_name}_add", rec_case), data)
    assert response.status_code == 200
    assert response.context["form"].errors[missing]
    html = response.content.decode()
    for key, value in data.items():
        if key not in (missing, "occurred_on", "anonymous", "held", "with_parents",
                       "parents_informed") and value:
            assert escape(value.split("\n")[0]) in html
    assert not model.objects.exists()


def test_bad_participant_line_keeps_the_text_with_a_dutch_error(ib_client, rec_case):
    data = {**VALID["consultation"][0], "participants": "Jan de Vries\nM. Smit – IB'er"}
    response = ib_client.post(url("consultation_add", rec_case), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["participants"]
    assert "Regel 1" in errors[0]
    assert "Jan de Vries\nM. Smit – IB&#x27;er" in response.content.decode()
    assert not Consultation.objects.exists()


def test_date_in_the_future_is_refused(ib_client, rec_case):
    data = {**VALID["consultation"][0],
            "occurred_on": (TODAY + datetime.timedelta(days=1)).isoformat()}
    response = ib_client.post(url("consultation_add", rec_case), data)
    assert "toekomst" in str(response.context["form"].errors["occurred_on"])


@pytest.mark.parametrize("type_name", TYPES)
def test_closed_case_refuses_new_records(ib_client, ib, rec_case, enable_vir, type_name):
    close_case(case_id=rec_case.pk, actor=ib, close_reason="geen_zorg", explanation="Opgelost.")
    data, model, _ = VALID[type_name]
    for response in (ib_client.get(url(f"{type_name}_add", rec_case)),
                     ib_client.post(url(f"{type_name}_add", rec_case), data)):
        assert response.status_code == 403
        assert "afgesloten" in response.content.decode()
    assert not model.objects.exists()


@pytest.mark.parametrize("type_name", TYPES)
def test_teacher_and_other_school_get_404(verified_client, teacher, other_school, rec_case,
                                          enable_vir, type_name):
    outsider = staff(Role.IB, other_school)
    data = VALID[type_name][0]
    for user in (teacher, outsider):
        verified_client.force_login(user)
        assert verified_client.get(url(f"{type_name}_add", rec_case)).status_code == 404
        assert verified_client.post(url(f"{type_name}_add", rec_case), data).status_code == 404
    record = make_record(type_name, rec_case, rec_case.owner)
    for user in (teacher, outsider):
        verified_client.force_login(user)
        for name in ("edit", "detail"):
            assert verified_client.get(url(f"{type_name}_{name}", rec_case, record.pk)
                                       ).status_code == 404


@pytest.mark.parametrize("type_name", TYPES)
def test_invited_read_only_may_read_but_not_add(verified_client, teacher, ib, rec_case,
                                                enable_vir, type_name):
    case_grant_access(case=rec_case, user=teacher, level="read", actor=ib)
    record = make_record(type_name, rec_case, ib)
    verified_client.force_login(teacher)
    assert verified_client.get(url(f"{type_name}_add", rec_case)).status_code == 403
    assert verified_client.post(url(f"{type_name}_add", rec_case),
                                VALID[type_name][0]).status_code == 403
    assert verified_client.get(url(f"{type_name}_edit", rec_case, record.pk)).status_code == 403
    assert verified_client.get(url(f"{type_name}_detail", rec_case, record.pk)).status_code == 200


@pytest.mark.parametrize("type_name", TYPES)
def test_invited_contributor_may_add(verified_client, teacher, ib, rec_case, enable_vir,
                                     type_name):
    case_grant_access(case=rec_case, user=teacher, level="contribute", actor=ib)
    verified_client.force_login(teacher)
    data, model, _ = VALID[type_name]
    response = verified_client.post(url(f"{type_name}_add", rec_case), data)
    assert response.status_code == 302
    assert model.objects.get().author == teacher


def test_sot_member_not_attending_and_director_access(verified_client, sot_member, director,
                                                      rec_case):
    verified_client.force_login(sot_member)
    assert verified_client.get(url("consultation_add", rec_case)).status_code == 404
    verified_client.force_login(director)
    assert verified_client.get(url("consultation_add", rec_case)).status_code == 200


def test_anonymous_user_is_sent_to_login(client, rec_case):
    response = client.get(url("consultation_add", rec_case))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- edit ------------------------------------------------------------------------------------

def edit_data(record, type_name, **changes):
    data = {**VALID[type_name][0], "lock_version": record.lock_version,
            "change_reason": "Tikfout verbeterd.", **changes}
    return data


@pytest.mark.parametrize("type_name", TYPES)
def test_edit_saves_with_reason_and_history_user(ib_client, ib, vc, rec_case, enable_vir,
                                                 type_name):
    record = make_record(type_name, rec_case, vc)
    response = ib_client.get(url(f"{type_name}_edit", rec_case, record.pk))
    assert response.status_code == 200
    assert f'name="lock_version" value="{record.lock_version}"' in response.content.decode()
    changes = {"vir": {"parents_informed": "False"}}.get(type_name, {})
    field = VALID[type_name][2]
    if type_name != "vir":
        changes = {field: "Aangepaste tekst."}
    response = ib_client.post(url(f"{type_name}_edit", rec_case, record.pk),
                              edit_data(record, type_name, **changes))
    assert response.status_code == 302, response.context["form"].errors
    record.refresh_from_db()
    assert record.lock_version == 2
    assert record.author == vc  # the author stays; the editor is in the history
    if type_name == "vir":
        assert record.parents_informed is False
    else:
        assert getattr(record, field) == "Aangepaste tekst."
    latest = record.history.first()
    assert latest.history_user == ib
    assert latest.history_change_reason == "Tikfout verbeterd."
    assert record.history.count() == 2


def test_edit_without_reason_is_refused(ib_client, ib, rec_case):
    record = make_record("consultation", rec_case, ib)
    data = edit_data(record, "consultation", advice="Nieuw advies.", change_reason="")
    response = ib_client.post(url("consultation_edit", rec_case, record.pk), data)
    assert response.status_code == 200
    assert response.context["form"].errors["change_reason"]
    assert "Nieuw advies." in response.content.decode()
    record.refresh_from_db()
    assert record.advice != "Nieuw advies."


def test_edit_of_a_closed_case_is_refused(ib_client, ib, rec_case):
    record = make_record("consultation", rec_case, ib)
    close_case(case_id=rec_case.pk, actor=ib, close_reason="geen_zorg", explanation="Klaar.")
    response = ib_client.post(url("consultation_edit", rec_case, record.pk),
                              edit_data(record, "consultation", advice="Later."))
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.advice != "Later."


def test_record_of_another_case_is_404(ib_client, ib, rec_case, school):
    other_case = case_open(pupil=PupilFactory(school=school), actor=ib)
    record = make_record("consultation", other_case, ib)
    assert ib_client.get(url("consultation_edit", rec_case, record.pk)).status_code == 404
    assert ib_client.get(url("vt_advice_edit", other_case, record.pk)).status_code == 404


def test_parent_contact_is_not_reachable_as_step3_conversation(ib_client, ib, rec_case):
    record = make_record("parent_contact", rec_case, ib)
    assert record.kind == ConversationKind.PARENT_CONTACT
    assert ib_client.get(url("conversation_edit", rec_case, record.pk)).status_code == 404
    assert ib_client.get(url("parent_contact_edit", rec_case, record.pk)).status_code == 200


def test_concurrent_edit_shows_conflict_and_keeps_input(verified_client, ib, vc, rec_case):
    record = make_record("consultation", rec_case, ib)
    # given: the IB'er opened the edit form at version 1 ...
    verified_client.force_login(ib)
    form_version = record.lock_version
    # ... and meanwhile the veiligheidscoördinator saved a change
    other = Consultation.objects.get(pk=record.pk)
    other.advice = "Advies van de VC."
    record_save(record=other, actor=vc, base_version=form_version, reason="aanvulling")
    # when: the IB'er saves
    data = edit_data(record, "consultation", advice="Advies van de IB'er.",
                     lock_version=form_version, change_reason="mijn aanvulling")
    response = verified_client.post(url("consultation_edit", rec_case, record.pk), data)
    # then: a conflict, the IB'er's text is still in the form, the saved text shown beside it
    assert response.status_code == 409
    html = response.content.decode()
    assert "Iemand anders heeft dit verslag intussen gewijzigd" in html
    assert "Advies van de IB&#x27;er." in html
    assert "Advies van de VC." in html
    assert "mijn aanvulling" in html
    assert f'name="lock_version" value="{form_version + 1}"' in html
    record.refresh_from_db()
    assert record.advice == "Advies van de VC."
    assert record.history.count() == 2
    # and: saving again on purpose, now based on the current version, goes through
    data["lock_version"] = form_version + 1
    response = verified_client.post(url("consultation_edit", rec_case, record.pk), data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.advice == "Advies van de IB'er."


def test_detail_shows_versions_and_logs_the_read(ib_client, ib, rec_case):
    record = make_record("consultation", rec_case, ib)
    response = ib_client.get(url("consultation_detail", rec_case, record.pk))
    assert response.status_code == 200
    assert "aangemaakt" in response.content.decode()
    log = AccessLog.objects.get(object_type="cases.consultation")
    assert (log.user, log.case, log.object_id) == (ib, rec_case, record.pk)


def test_edit_form_read_is_logged(ib_client, ib, rec_case):
    record = make_record("conversation", rec_case, ib)
    ib_client.get(url("conversation_edit", rec_case, record.pk))
    assert AccessLog.objects.filter(case=rec_case, object_type="cases.conversation",
                                    object_id=record.pk, user=ib).count() == 1


# --- Veilig Thuis: anonymous advice holds no child identifiers (R19) --------------------------

@pytest.mark.parametrize("text, what", [
    ("Sanne komt vaak te laat.", "voornaam"),
    ("SANNE komt vaak te laat.", "voornaam"),
    ("Familie van der Berg.", "achternaam"),
    ("Familie Berg.", "achternaam"),
    ("Leerling LL424242.", "leerlingnummer"),
    ("Geboren 04-05-2017.", "geboortedatum"),
    ("Geboren 4-5-2017.", "geboortedatum"),
    ("Geboren 2017-05-04.", "geboortedatum"),
    ("Geboren 4 mei 2017.", "geboortedatum"),
    ("Moeder Fatima is ongerust.", "ouder"),
    ("Bakkal heeft gebeld.", "ouder"),
])
def test_anonymous_vt_advice_refuses_child_identifiers(ib_client, rec_case, rec_pupil, text,
                                                       what):
    PupilParentFactory(pupil=rec_pupil, parent=ParentFactory(school=rec_pupil.school,
                                                             name="Fatima el Bakkal"))
    data = {**VALID["vt_advice"][0], "question": text}
    response = ib_client.post(url("vt_advice_add", rec_case), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert what in str(errors["question"])
    assert "anoniem" in str(errors["question"])
    assert text.replace("'", "&#x27;") in response.content.decode()
    assert not VeiligThuisAdvice.objects.exists()


@pytest.mark.parametrize("text", [
    "Sannes moeder belde.",  # not the word itself
    "Een meisje uit groep 4 met veel zorgen, sinds 2017.",
    "Geboren in mei.",
    "De vader van het kind is boos.",  # particles are not names
    "04-05-20171",
])
def test_anonymous_vt_advice_allows_text_without_identifiers(ib_client, rec_case, rec_pupil,
                                                             text):
    PupilParentFactory(pupil=rec_pupil, parent=ParentFactory(school=rec_pupil.school,
                                                             name="Jan van Dijk"))
    data = {**VALID["vt_advice"][0], "question": text}
    response = ib_client.post(url("vt_advice_add", rec_case), data)
    assert response.status_code == 302, response.context["form"].errors
    assert VeiligThuisAdvice.objects.get().question == text


def test_identified_vt_advice_may_name_the_child(ib_client, rec_case):
    data = {**VALID["vt_advice"][0], "question": "Sanne van der Berg, 04-05-2017."}
    data.pop("anonymous")
    response = ib_client.post(url("vt_advice_add", rec_case), data)
    assert response.status_code == 302
    assert VeiligThuisAdvice.objects.get().anonymous is False


def test_vt_advice_is_anonymous_by_default(ib_client, rec_case):
    response = ib_client.get(url("vt_advice_add", rec_case))
    assert response.context["form"]["anonymous"].value() is True


def test_anonymity_is_checked_on_edit_too(ib_client, ib, rec_case):
    record = make_record("vt_advice", rec_case, ib)
    data = edit_data(record, "vt_advice", advice="Bel de moeder van Sanne.")
    response = ib_client.post(url("vt_advice_edit", rec_case, record.pk), data)
    assert response.status_code == 200
    assert response.context["form"].errors["advice"]


# --- Verwijsindex (R43–R45) ------------------------------------------------------------------

def test_verwijsindex_switched_off_is_404_everywhere(ib_client, ib, rec_case, school):
    school.verwijsindex_enabled = True
    school.save()
    record = make_record("vir", rec_case, ib)
    school.verwijsindex_enabled = False
    school.save()
    assert ib_client.get(url("vir_add", rec_case)).status_code == 404
    assert ib_client.post(url("vir_add", rec_case), VALID["vir"][0]).status_code == 404
    for name in ("vir_edit", "vir_detail", "vir_withdraw"):
        assert ib_client.get(url(name, rec_case, record.pk)).status_code == 404


def test_verwijsindex_review_date_is_two_years_on(ib_client, rec_case, enable_vir):
    day = datetime.date(2025, 3, 10)
    response = ib_client.post(url("vir_add", rec_case),
                              {"occurred_on": day.isoformat(), "parents_informed": "False"})
    assert response.status_code == 302
    registration = VerwijsindexRegistration.objects.get()
    assert registration.review_on == datetime.date(2027, 3, 10)
    assert registration.parents_informed is False
    assert registration.participants == []
    response = ib_client.get(url("vir_detail", rec_case, registration.pk))
    assert "10 maart 2027" in response.content.decode()


def test_verwijsindex_review_date_follows_an_edited_date(ib_client, ib, rec_case, enable_vir):
    record = make_record("vir", rec_case, ib)
    data = edit_data(record, "vir", occurred_on="2025-01-02")
    assert ib_client.post(url("vir_edit", rec_case, record.pk), data).status_code == 302
    record.refresh_from_db()
    assert record.review_on == datetime.date(2027, 1, 2)


def test_review_date_of_29_february():
    assert vir_review_date(datetime.date(2024, 2, 29)) == datetime.date(2026, 2, 28)


def test_verwijsindex_form_has_no_content_field(ib_client, rec_case, enable_vir):
    response = ib_client.get(url("vir_add", rec_case))
    form = response.context["form"]
    assert set(form.fields) == {"occurred_on", "parents_informed"}
    assert "<textarea" not in response.content.decode()


def test_verwijsindex_withdraw(ib_client, ib, rec_case, enable_vir):
    record = make_record("vir", rec_case, ib)
    response = ib_client.get(url("vir_detail", rec_case, record.pk))
    assert "Intrekking vastleggen" in response.content.decode()
    response = ib_client.post(url("vir_withdraw", rec_case, record.pk),
                              {"withdrawn_on": ISO_TODAY, "lock_version": record.lock_version})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.withdrawn_on == TODAY
    assert record.history.first().history_user == ib
    # twice is refused with a message, nothing changes
    response = ib_client.post(url("vir_withdraw", rec_case, record.pk),
                              {"withdrawn_on": ISO_TODAY, "lock_version": record.lock_version})
    assert response.status_code == 200
    assert "al ingetrokken" in response.content.decode()


def test_verwijsindex_withdraw_after_the_case_is_closed(ib_client, ib, rec_case, enable_vir):
    record = make_record("vir", rec_case, ib)
    close_case(case_id=rec_case.pk, actor=ib, close_reason="geen_zorg", explanation="Klaar.")
    response = ib_client.post(url("vir_withdraw", rec_case, record.pk),
                              {"withdrawn_on": ISO_TODAY, "lock_version": record.lock_version})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.withdrawn_on == TODAY


def test_verwijsindex_withdraw_date_before_registration_is_refused(ib_client, ib, rec_case,
                                                                   enable_vir):
    record = make_record("vir", rec_case, ib)
    response = ib_client.post(url("vir_withdraw", rec_case, record.pk),
                              {"withdrawn_on": "2001-01-01", "lock_version": record.lock_version})
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.withdrawn_on is None


def test_verwijsindex_withdraw_needs_add_record(verified_client, teacher, ib, rec_case,
                                                enable_vir):
    record = make_record("vir", rec_case, ib)
    case_grant_access(case=rec_case, user=teacher, level="read", actor=ib)
    verified_client.force_login(teacher)
    response = verified_client.post(url("vir_withdraw", rec_case, record.pk),
                                    {"withdrawn_on": ISO_TODAY, "lock_version": 1})
    assert response.status_code == 403


# --- conversations (R7, R8) -------------------------------------------------------------------

def test_conversation_not_held_needs_reason_and_explanation(ib_client, rec_case):
    data = {"occurred_on": ISO_TODAY, "held": "False", "discussed": "wordt gewist"}
    response = ib_client.post(url("conversation_add", rec_case), data)
    errors = response.context["form"].errors
    assert set(errors) == {"not_held_reason", "not_held_explanation"}
    data.update(not_held_reason="veiligheid_kind",
                not_held_explanation="Vader dreigde bij het vorige gesprek.")
    assert ib_client.post(url("conversation_add", rec_case), data).status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.held is False
    assert conversation.kind == ConversationKind.STEP3
    assert conversation.not_held_reason == "veiligheid_kind"
    assert conversation.discussed == ""  # nothing was discussed in a conversation not held


def test_conversation_held_needs_whom_and_participants(ib_client, rec_case):
    data = {**VALID["conversation"][0], "participants": ""}
    data.pop("with_parents")
    response = ib_client.post(url("conversation_add", rec_case), data)
    errors = response.context["form"].errors
    assert "participants" in errors and "with_parents" in errors


def test_conversation_form_branches_work_without_javascript(ib_client, rec_case):
    html = ib_client.get(url("conversation_add", rec_case)).content.decode()
    assert 'data-show-when="held=True"' in html
    assert 'data-show-when="held=False"' in html
    assert 'value="True"' in html and 'value="False"' in html
    assert not re.search(r"\shidden[\s>=]", html.split("<main", 1)[1])  # visible without JS
    assert "<script>" not in html and "onclick" not in html and "style=" not in html


def test_parent_contact_has_no_not_held_branch(ib_client, rec_case):
    response = ib_client.get(url("parent_contact_add", rec_case))
    assert "held" not in response.context["form"].fields
    assert "not_held_reason" not in response.context["form"].fields
    assert "data-show-when" not in response.content.decode()
    ib_client.post(url("parent_contact_add", rec_case), VALID["parent_contact"][0])
    contact = Conversation.objects.get()
    assert (contact.kind, contact.held, contact.with_parents) == (
        ConversationKind.PARENT_CONTACT, True, True)


def test_record_actions_for_the_case_page(rec_case):
    from cases.record_urls import RECORD_ACTIONS

    actions = {a["url_name"]: a for a in RECORD_ACTIONS}
    assert actions["cases:parent_contact_add"]["steps"] is None
    assert actions["cases:vt_advice_add"]["steps"] is None
    assert actions["cases:vir_add"]["requires"] == "verwijsindex"
    for action in RECORD_ACTIONS:
        reverse(action["url_name"], args=[rec_case.pk])  # every link resolves with the case pk
        assert action["perm"] == "add_record"


# --- query counts ----------------------------------------------------------------------------

@pytest.mark.parametrize("type_name", ["consultation", "vt_advice", "conversation"])
def test_record_forms_run_a_constant_number_of_queries(ib_client, ib, rec_case, rec_pupil,
                                                       type_name):
    def count():
        ib_client.get(url(f"{type_name}_add", rec_case))  # warm: the role cache of this test
        with CaptureQueriesContext(connection) as get_ctx:
            assert ib_client.get(url(f"{type_name}_add", rec_case)).status_code == 200
        data = {**VALID[type_name][0], "advice": "Sanne"} if type_name == "vt_advice" else {
            **VALID[type_name][0], "participants": "zonder rol"}
        with CaptureQueriesContext(connection) as post_ctx:
            assert ib_client.post(url(f"{type_name}_add", rec_case), data).status_code == 200
        record = make_record(type_name, rec_case, ib)
        with CaptureQueriesContext(connection) as edit_ctx:
            assert ib_client.get(url(f"{type_name}_edit", rec_case, record.pk)
                                 ).status_code == 200
        return len(get_ctx), len(post_ctx), len(edit_ctx)

    make_record(type_name, rec_case, ib)
    PupilParentFactory(pupil=rec_pupil)
    one = count()
    for _ in range(24):
        make_record(type_name, rec_case, ib)
        PupilParentFactory(pupil=rec_pupil)
    assert count() == one
    assert max(one) <= 15



def test_record_url_for_the_timeline(ib, rec_case, enable_vir):
    from cases.record_views import record_url

    for type_name in TYPES:
        record = make_record(type_name, rec_case, ib)
        assert record_url(record) == url(f"{type_name}_detail", rec_case, record.pk)
    assert record_url(rec_case) is None
