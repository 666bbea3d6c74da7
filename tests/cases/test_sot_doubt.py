"""R16 at step 4: doubt about the nature or severity can be marked in the SOT weighing; when it
is, the weighing, the meeting's agenda and the case page prompt a consultation of Veilig Thuis
with a link to record its advice; the mark is in the history, the timeline and the dossier."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import SotMeeting
from cases.services import case_grant_access, case_open
from cases.sot import sot_agenda_add, sot_meeting_save
from cases.timeline import case_timeline
from exports.sections import sot_entry
from tests.factories import PupilFactory

from .conftest import create_sot_discussion, create_vt_advice

pytestmark = pytest.mark.django_db

NEXT_WEEK = timezone.localdate() + datetime.timedelta(days=7)
WEIGHING = {"nature_severity": "Blauwe plekken op de armen, twee keer in een maand.",
            "risk_assessment": "Onduidelijk: de uitleg van de ouders klopt mogelijk.",
            "agreed_approach": "Advies vragen aan Veilig Thuis."}
PROMPT_CASE = "In het SOT is twijfel over de aard of ernst gemarkeerd"
LINK_TEXT = "Advies van Veilig Thuis vastleggen"


@pytest.fixture
def sot_case(school, ib):
    return case_open(pupil=PupilFactory(school=school, first_name="Noor", last_name="Visser"),
                     actor=ib)


@pytest.fixture
def meeting(school, director, ib, sot_member):
    meeting = SotMeeting(school=school, held_on=NEXT_WEEK, chair=director)
    return sot_meeting_save(meeting=meeting, attendees=[ib, sot_member], actor=ib)


def _weigh(client, user, meeting, discussion, **extra):
    client.force_login(user)
    url = reverse("cases:sot_discussion_edit", args=[meeting.pk, discussion.pk])
    return client.post(url, {**WEIGHING, "lock_version": discussion.lock_version, **extra})


def test_the_weighing_form_offers_the_doubt_mark(verified_client, ib, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    verified_client.force_login(ib)
    url = reverse("cases:sot_discussion_edit", args=[meeting.pk, discussion.pk])
    response = verified_client.get(url)
    assert not response.context["form"].fields["doubt"].required
    html = response.content.decode()
    assert "Er is twijfel over de aard of ernst" in html
    assert LINK_TEXT not in html  # nothing marked yet: no prompt


def test_marking_doubt_prompts_a_veilig_thuis_consultation(verified_client, ib, sot_member,
                                                           meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    response = _weigh(verified_client, sot_member, meeting, discussion, doubt="on")
    assert response.status_code == 302
    discussion.refresh_from_db()
    assert discussion.doubt is True
    # The history row holds the mark and who set it.
    latest = discussion.history.first()
    assert latest.doubt is True and latest.history_user == sot_member
    assert discussion.history.count() == 2  # on the agenda, then weighed

    add_url = reverse("cases:vt_advice_add", args=[sot_case.pk])
    # The saved weighing shows the prompt and the link.
    verified_client.force_login(ib)
    html = verified_client.get(
        reverse("cases:sot_discussion_edit", args=[meeting.pk, discussion.pk])).content.decode()
    assert "twijfel over de aard of ernst gemarkeerd" in html and add_url in html
    # So does the meeting's agenda.
    html = verified_client.get(
        reverse("cases:sot_meeting_detail", args=[meeting.pk])).content.decode()
    assert "Twijfel over de aard of ernst: overleg met Veilig Thuis" in html and add_url in html
    # And the case page, with the link, for whoever may record.
    html = verified_client.get(reverse("cases:detail", args=[sot_case.pk])).content.decode()
    assert PROMPT_CASE in html and add_url in html
    assert "twijfel over de aard of ernst" in html  # the tag on the SOT record


def test_without_doubt_there_is_no_prompt(verified_client, ib, meeting, sot_case):
    discussion = sot_agenda_add(meeting=meeting, case=sot_case, actor=ib)
    _weigh(verified_client, ib, meeting, discussion)
    discussion.refresh_from_db()
    assert discussion.doubt is False
    html = verified_client.get(reverse("cases:detail", args=[sot_case.pk])).content.decode()
    assert PROMPT_CASE not in html
    html = verified_client.get(
        reverse("cases:sot_meeting_detail", args=[meeting.pk])).content.decode()
    assert "Twijfel over de aard of ernst: overleg met Veilig Thuis" not in html


def test_the_case_prompt_goes_once_veilig_thuis_advice_is_recorded(verified_client, ib,
                                                                   sot_case):
    discussion = create_sot_discussion(sot_case, ib, doubt=True)
    verified_client.force_login(ib)
    url = reverse("cases:detail", args=[sot_case.pk])
    assert PROMPT_CASE in verified_client.get(url).content.decode()
    # Advice from before the doubt does not count.
    create_vt_advice(sot_case, ib, occurred_on=discussion.occurred_on - datetime.timedelta(days=1))
    assert PROMPT_CASE in verified_client.get(url).content.decode()
    create_vt_advice(sot_case, ib, occurred_on=discussion.occurred_on)
    html = verified_client.get(url).content.decode()
    assert PROMPT_CASE not in html
    assert "daarna is advies van Veilig Thuis vastgelegd" in html


def test_a_reader_without_add_record_gets_no_link(verified_client, ib, teacher, sot_case):
    create_sot_discussion(sot_case, ib, doubt=True)
    case_grant_access(case=sot_case, user=teacher, level="read", actor=ib)
    verified_client.force_login(teacher)
    html = verified_client.get(reverse("cases:detail", args=[sot_case.pk])).content.decode()
    assert PROMPT_CASE not in html
    assert reverse("cases:vt_advice_add", args=[sot_case.pk]) not in html


def test_timeline_and_dossier_show_the_mark(ib, sot_case):
    discussion = create_sot_discussion(sot_case, ib, doubt=True)
    entries = [e for e in case_timeline(sot_case) if e.kind == "sot_discussion"]
    assert ("Twijfel over de aard of ernst", "ja, advies van Veilig Thuis vragen") in \
        entries[0].details
    fields = {f.name: f for f in sot_entry(discussion).fields}
    assert str(fields["doubt"].value) == "ja"
    discussion.doubt = False
    assert str({f.name: f for f in sot_entry(discussion).fields}["doubt"].value) == "nee"
