import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessAction, AccessLog
from cases.services import case_open
from schools.roles import Role
from signals.models import Category, PupilRole, Signal, SignalVersion, Source
from signals.services import signal_acknowledge, signal_correct
from tests.factories import (MembershipFactory, PupilFactory, SchoolClassFactory, SchoolFactory,
                             staff)

from .helpers import EXE, FACTS, PDF, PNG, form_data, upload

pytestmark = pytest.mark.django_db

CREATE = reverse("signals:create")


def _login(client, user):
    client.force_login(user)
    return client


# --- recording ------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    response = client.get(CREATE)
    assert response.status_code == 302 and "login" in response.url


def test_role_without_school_gets_403(verified_client, beheerder):
    _login(verified_client, beheerder)
    for name in ("signals:create", "signals:mine", "signals:triage"):
        assert verified_client.get(reverse(name)).status_code == 403


def test_form_lists_own_class_first_in_optgroups(verified_client, teacher, school, pupil,
                                                 pupil2, other_pupil):
    other_class = SchoolClassFactory(school=school, name="groep 1a")
    PupilFactory(school=school, school_class=other_class, first_name="Aaron")
    teacher.memberships.get().classes.add(pupil.school_class)
    PupilFactory(school=school, first_name="Vertrokken",
                 left_on=timezone.localdate() - datetime.timedelta(days=3))

    response = _login(verified_client, teacher).get(CREATE)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index('<optgroup label="Mijn groep: groep 5a">') < html.index(
        '<optgroup label="groep 1a">')
    assert html.index('<optgroup label="groep 1a">') < html.index(
        '<optgroup label="zonder groep">')
    assert "Noor Jansen" in html and "Daan Bakker" in html
    assert "Fleur Visser" not in html  # other school (a staff member may be called Fleur)
    assert "Vertrokken" not in html  # left the school
    # Without JavaScript three pupil rows; a template row for adding more.
    assert html.count('name="leerlingen-') >= 6
    assert 'name="leerlingen-2-pupil"' in html and 'name="leerlingen-3-pupil"' not in html
    assert "<template data-pupil-template>" in html


def test_valid_post_records_and_redirects_to_detail(verified_client, teacher, pupil, pupil2):
    data = form_data([(pupil, PupilRole.CONCERNED), (pupil2, PupilRole.WITNESS)],
                     disclosure="on")
    response = _login(verified_client, teacher).post(CREATE, data)

    signal = Signal.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("signals:detail", args=[signal.pk])
    assert signal.disclosure and not signal.acute_danger
    assert signal.versions.get().facts == FACTS
    assert signal.pupil_links.count() == 2


def test_five_pupil_rows_are_accepted(verified_client, teacher, school, pupil):
    others = [PupilFactory(school=school) for _ in range(4)]
    rows = [(pupil, PupilRole.CONCERNED)] + [(p, PupilRole.WITNESS) for p in others]
    response = _login(verified_client, teacher).post(CREATE, form_data(rows, total=5))
    assert response.status_code == 302
    assert Signal.objects.get().pupil_links.count() == 5


def _assert_refused_and_kept(response, *fragments):
    html = response.content.decode()
    assert response.status_code == 200
    assert not Signal.objects.exists()
    assert "Het signaal is nog niet opgeslagen" in html
    assert FACTS in html  # what the user typed is still there
    for fragment in fragments:
        assert fragment in html, fragment


@pytest.mark.parametrize("overrides, message", [
    ({"observed_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()},
     "kan niet in de toekomst liggen"),
    ({"source": Source.THIRD_PARTY}, "Vul de naam of functie in"),
    ({"source": Source.COLLEAGUE}, "Vul de naam of functie in"),
    ({"category": ""}, "Kies een soort zorg"),
    ({"observed_on": "gisteren"}, "Vul een geldige datum in"),
])
def test_field_errors_keep_the_input(verified_client, teacher, pupil, overrides, message):
    data = form_data([(pupil, PupilRole.CONCERNED)], child_words="Ik wil niet naar huis.",
                     **overrides)
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, message, "Ik wil niet naar huis.")


def test_missing_facts_are_refused_and_other_fields_kept(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.CONCERNED)], facts="",
                     interpretation="Mijn gevoel zegt dat er iets mis is.")
    response = _login(verified_client, teacher).post(CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200 and not Signal.objects.exists()
    assert "Beschrijf wat u heeft gezien of gehoord." in html
    assert "Mijn gevoel zegt dat er iets mis is." in html
    assert f'value="{pupil.pk}" selected' in html


def test_pupil_of_other_school_is_refused(verified_client, teacher, pupil, other_pupil):
    data = form_data([(other_pupil, PupilRole.CONCERNED)])
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, "Kies een leerling van deze school.")


def test_without_a_concerned_pupil_is_refused(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.WITNESS)])
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, "om wie de zorg gaat")


def test_without_any_pupil_is_refused(verified_client, teacher, pupil):
    response = _login(verified_client, teacher).post(CREATE, form_data([]))
    _assert_refused_and_kept(response, "Kies minstens één leerling.")


def test_same_pupil_twice_is_refused(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.CONCERNED), (pupil, PupilRole.WITNESS)])
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, "meer dan één keer")


def test_attachments_are_accepted_by_content(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.CONCERNED)])
    data["attachments"] = [upload("arm.png", PNG), upload("brief.pdf", PDF, "application/pdf")]
    response = _login(verified_client, teacher).post(CREATE, data)
    assert response.status_code == 302
    assert sorted(Signal.objects.get().attachments.values_list("content_type", flat=True)) == [
        "application/pdf", "image/png"]


def test_renamed_executable_is_refused_and_input_kept(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.CONCERNED)])
    data["attachments"] = [upload("verslag.pdf", EXE, "application/pdf")]
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, "geen foto (JPEG of PNG) of PDF",
                             "Kies de bijlagen opnieuw")


def test_too_many_attachments_are_refused(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.CONCERNED)])
    data["attachments"] = [upload(f"{i}.png") for i in range(6)]
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, "maximaal 5 bijlagen")


def test_honour_category_and_staff_suspect_show_notices(verified_client, teacher, pupil):
    data = form_data([(pupil, PupilRole.CONCERNED)], category=Category.HONOUR,
                     staff_suspect="on")
    response = _login(verified_client, teacher).post(CREATE, data, follow=True)
    html = response.content.decode()
    assert "altijd een specialist" in html
    assert "alleen de directeur inlichten is niet genoeg" in html
    assert "Informeer zelf direct het bevoegd gezag" in html  # detail page, for the recorder


def test_any_current_pupil_of_the_school_may_be_chosen(verified_client, teacher, school,
                                                       pupil, pupil2):
    # The form offers every current pupil of the school, own class or not.
    other_class = SchoolClassFactory(school=school, name="groep 8b")
    elsewhere = PupilFactory(school=school, school_class=other_class)
    teacher.memberships.get().classes.add(pupil.school_class)
    data = form_data([(elsewhere, PupilRole.CONCERNED), (pupil2, PupilRole.WITNESS)])
    response = _login(verified_client, teacher).post(CREATE, data)
    assert response.status_code == 302
    assert set(Signal.objects.get().pupils.all()) == {elsewhere, pupil2}


@pytest.mark.parametrize("value", ["left", "other", "zero", "padded", "spaced", "text",
                                   "negative", "huge", "enormous", "unknown"])
def test_pupil_the_form_does_not_offer_is_refused(verified_client, teacher, school, pupil,
                                                  other_pupil, value):
    left = PupilFactory(school=school, first_name="Vertrokken",
                        left_on=timezone.localdate())
    submitted = {"left": str(left.pk), "other": str(other_pupil.pk), "zero": "0",
                 "padded": f"0{pupil.pk}", "spaced": f" {pupil.pk}", "text": "Noor",
                 "negative": f"-{pupil.pk}", "huge": "9" * 30, "enormous": "9" * 5000,
                 "unknown": str(other_pupil.pk + 1000)}[value]
    data = form_data([(submitted, PupilRole.CONCERNED)])
    response = _login(verified_client, teacher).post(CREATE, data)
    _assert_refused_and_kept(response, "Kies een leerling van deze school.")
    # The refused form is shown again with the school's current pupils to choose from.
    html = response.content.decode()
    assert f'<option value="{pupil.pk}">Noor Jansen</option>' in html
    assert "Vertrokken" not in html and "Fleur Visser" not in html


def test_refused_post_keeps_the_chosen_pupils_selected(verified_client, teacher, pupil,
                                                       pupil2):
    data = form_data([(pupil, PupilRole.CONCERNED), (pupil2, PupilRole.WITNESS)], facts="")
    response = _login(verified_client, teacher).post(CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200 and not Signal.objects.exists()
    assert f'value="{pupil.pk}" selected' in html
    assert f'value="{pupil2.pk}" selected' in html


def test_user_at_two_schools_chooses_the_school_first(verified_client, teacher, school,
                                                      other_school, pupil, other_pupil):
    MembershipFactory(user=teacher, school=other_school, role=Role.LEERKRACHT)
    client = _login(verified_client, teacher)

    chooser = client.get(CREATE)
    assert chooser.status_code == 200
    assert "Over een leerling van welke school" in chooser.content.decode()

    form = client.get(CREATE, {"school": other_school.pk})
    assert "Fleur Visser" in form.content.decode()
    assert "Noor Jansen" not in form.content.decode()

    response = client.post(f"{CREATE}?school={other_school.pk}",
                           form_data([(other_pupil, PupilRole.CONCERNED)]))
    assert response.status_code == 302
    assert Signal.objects.get().school == other_school


def test_school_without_role_is_404(verified_client, teacher, other_school):
    client = _login(verified_client, teacher)
    # With one school the parameter is ignored: the own school's form is shown.
    assert client.get(CREATE, {"school": other_school.pk}).status_code == 200
    MembershipFactory(user=teacher, school=SchoolFactory(), role=Role.LEERKRACHT)
    assert client.get(CREATE, {"school": other_school.pk}).status_code == 404


# --- detail ---------------------------------------------------------------------------------

def test_detail_for_recorder_shows_parts_distinctly_and_logs(verified_client, make_signal,
                                                              teacher, pupil):
    signal = make_signal(teacher, source=Source.PARENT, source_detail="moeder")
    response = _login(verified_client, teacher).get(reverse("signals:detail", args=[signal.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="obs obs--fact"' in html and FACTS in html
    assert 'class="obs obs--words"' in html and "<q>Papa was boos.</q>" in html
    assert 'class="obs obs--interpretation"' in html
    name = teacher.get_full_name()
    assert f"Interpretatie of niet-pluisgevoel van {name}" in html
    assert "een ouder/verzorger: moeder" in html
    assert "Noor Jansen" in html and "om wie de zorg gaat" in html
    assert "nieuw" in html
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_id, log.action, log.case) == (
        teacher, "signals.signal", signal.pk, AccessAction.VIEW, None)
    assert log.school_id == signal.school_id


@pytest.mark.parametrize("who, status", [
    ("teacher", 200), ("ib", 200), ("vc", 200), ("director", 200),
    ("colleague", 404), ("sot_member", 404), ("beheerder", 404), ("other_ib", 404),
])
def test_detail_access(verified_client, make_signal, teacher, who, status, request):
    signal = make_signal(teacher)
    user = request.getfixturevalue(who)
    response = _login(verified_client, user).get(reverse("signals:detail", args=[signal.pk]))
    assert response.status_code == status
    assert AccessLog.objects.filter(user=user).exists() == (status == 200)


@pytest.mark.parametrize("who", ["ib", "vc", "director"])
def test_staff_suspect_signal_is_hidden_from_the_school(verified_client, make_signal, teacher,
                                                        who, request):
    signal = make_signal(teacher, staff_suspect=True)
    client = _login(verified_client, request.getfixturevalue(who))
    assert client.get(reverse("signals:detail", args=[signal.pk])).status_code == 404


def test_detail_shows_all_versions_with_reasons(verified_client, make_signal, teacher, ib):
    signal = make_signal(teacher)
    signal_correct(signal=signal, actor=ib, base_number=1, facts="Aangevulde feiten.",
                   interpretation="Ik maak me zorgen.", reason="datum verduidelijkt")
    html = _login(verified_client, teacher).get(
        reverse("signals:detail", args=[signal.pk])).content.decode()
    assert "Aangevulde feiten." in html and FACTS in html  # current and version 1
    assert "datum verduidelijkt" in html
    # The interpretation did not change: it is still the recorder's.
    assert f"Interpretatie of niet-pluisgevoel van {teacher.get_full_name()}" in html
    assert f"Interpretatie of niet-pluisgevoel van {ib.get_full_name()}" not in html


def test_open_case_link_only_for_case_leads(verified_client, make_signal, teacher, ib,
                                            director):
    signal = make_signal(teacher)
    url = reverse("signals:detail", args=[signal.pk])
    try:
        expected = reverse("cases:open") + f"?signal={signal.pk}"
    except Exception:  # the cases helper has not built the view yet
        expected = None
    ib_html = _login(verified_client, ib).get(url).content.decode()
    if expected:
        assert expected in ib_html
    assert "Markeren als gezien" in ib_html
    teacher_html = _login(verified_client, teacher).get(url).content.decode()
    assert "Markeren als gezien" not in teacher_html
    assert "Dossier openen" not in teacher_html
    director_html = _login(verified_client, director).get(url).content.decode()
    assert "Corrigeren" not in director_html and "Markeren als gezien" not in director_html


# --- correction -----------------------------------------------------------------------------

def _correct_url(signal):
    return reverse("signals:correct", args=[signal.pk])


def test_correction_form_is_prefilled(verified_client, make_signal, teacher):
    signal = make_signal(teacher)
    html = _login(verified_client, teacher).get(_correct_url(signal)).content.decode()
    assert FACTS in html and 'name="base_number" value="1"' in html


def test_correction_creates_version_two(verified_client, make_signal, teacher):
    signal = make_signal(teacher)
    response = _login(verified_client, teacher).post(_correct_url(signal), {
        "base_number": "1", "facts": "Blauwe plek rechts.", "child_words": "",
        "interpretation": "", "reason": "links en rechts verwisseld"})
    assert response.status_code == 302
    assert list(signal.versions.order_by("number").values_list("number", "facts")) == [
        (1, FACTS), (2, "Blauwe plek rechts.")]


def test_correction_without_reason_keeps_input(verified_client, make_signal, teacher):
    signal = make_signal(teacher)
    response = _login(verified_client, teacher).post(_correct_url(signal), {
        "base_number": "1", "facts": "Mijn nieuwe tekst.", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Geef de reden van de correctie." in html and "Mijn nieuwe tekst." in html
    assert signal.versions.count() == 1


def test_conflict_shows_newer_text_and_keeps_input(verified_client, make_signal, teacher, ib):
    signal = make_signal(teacher)
    signal_correct(signal=signal, actor=ib, base_number=1, facts="Tekst van de IB'er.",
                   reason="aanvulling IB")

    response = _login(verified_client, teacher).post(_correct_url(signal), {
        "base_number": "1", "facts": "Mijn eigen correctie.", "child_words": "",
        "interpretation": "", "reason": "tikfout"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "iemand anders heeft dit signaal intussen gecorrigeerd" in html
    assert "Tekst van de IB&#x27;er." in html or "Tekst van de IB'er." in html
    assert "Mijn eigen correctie." in html and "tikfout" in html
    assert 'name="base_number" value="2"' in html  # a second save builds on version 2
    assert signal.versions.count() == 2

    again = verified_client.post(_correct_url(signal), {
        "base_number": "2", "facts": "Mijn eigen correctie.", "reason": "tikfout"})
    assert again.status_code == 302
    assert signal.versions.count() == 3


@pytest.mark.parametrize("who, status", [
    ("colleague", 404), ("other_ib", 404), ("director", 403), ("ib", 200), ("vc", 200),
])
def test_correction_access(verified_client, make_signal, teacher, who, status, request):
    signal = make_signal(teacher)
    client = _login(verified_client, request.getfixturevalue(who))
    assert client.get(_correct_url(signal)).status_code == status
    if status != 200:
        response = client.post(_correct_url(signal), {"base_number": "1", "facts": "x",
                                                      "reason": "y"})
        assert response.status_code == status
        assert SignalVersion.objects.count() == 1


# --- acknowledgement ------------------------------------------------------------------------

def test_ib_acknowledges(verified_client, make_signal, teacher, ib):
    signal = make_signal(teacher)
    response = _login(verified_client, ib).post(
        reverse("signals:acknowledge", args=[signal.pk]), {"next": "triage"})
    assert response.status_code == 302 and response.url == reverse("signals:triage")
    signal.refresh_from_db()
    assert signal.acknowledged_by == ib


@pytest.mark.parametrize("who, status", [
    ("teacher", 403), ("director", 403), ("colleague", 404), ("other_ib", 404),
])
def test_acknowledge_access(verified_client, make_signal, teacher, who, status, request):
    signal = make_signal(teacher)
    response = _login(verified_client, request.getfixturevalue(who)).post(
        reverse("signals:acknowledge", args=[signal.pk]))
    assert response.status_code == status
    signal.refresh_from_db()
    assert signal.acknowledged_at is None


def test_acknowledge_needs_post(verified_client, make_signal, teacher, ib):
    signal = make_signal(teacher)
    response = _login(verified_client, ib).get(reverse("signals:acknowledge", args=[signal.pk]))
    assert response.status_code == 405


# --- attachments ----------------------------------------------------------------------------

@pytest.fixture
def attached(make_signal, teacher):
    signal = make_signal(teacher, attachments=[upload("Noor arm.png", PNG)])
    return signal.attachments.get()


def test_download_headers_and_log(verified_client, attached, teacher):
    response = _login(verified_client, teacher).get(
        reverse("signals:attachment", args=[attached.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="Noor arm.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_id, log.action, log.school_id) == (
        teacher, "signals.signalattachment", attached.pk, AccessAction.DOWNLOAD,
        attached.signal.school_id)


def test_download_name_follows_the_content(verified_client, make_signal, teacher):
    signal = make_signal(teacher, attachments=[upload("pagina.html", PDF, "text/html")])
    response = _login(verified_client, teacher).get(
        reverse("signals:attachment", args=[signal.attachments.get().pk]))
    assert 'filename="pagina.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("who, status", [
    ("ib", 200), ("director", 200), ("colleague", 404), ("other_ib", 404), ("beheerder", 404),
])
def test_download_access(verified_client, attached, who, status, request):
    response = _login(verified_client, request.getfixturevalue(who)).get(
        reverse("signals:attachment", args=[attached.pk]))
    assert response.status_code == status
    assert AccessLog.objects.filter(action=AccessAction.DOWNLOAD).exists() == (status == 200)


def test_download_of_unknown_attachment_is_404(verified_client, teacher):
    response = _login(verified_client, teacher).get(reverse("signals:attachment", args=[999]))
    assert response.status_code == 404


# --- lists ----------------------------------------------------------------------------------

def test_my_signals_shows_own_only_with_status(verified_client, make_signal, teacher,
                                               colleague, ib, pupil):
    new = make_signal(teacher, facts="nieuw signaal")
    seen = make_signal(teacher, observed_on=timezone.localdate() - datetime.timedelta(days=5))
    signal_acknowledge(signal=seen, actor=ib)
    picked = make_signal(teacher, observed_on=timezone.localdate() - datetime.timedelta(days=9))
    case_open(pupil=pupil, actor=ib, signals=[picked])
    other = make_signal(colleague)

    html = _login(verified_client, teacher).get(reverse("signals:mine")).content.decode()

    for signal in (new, seen, picked):
        assert reverse("signals:detail", args=[signal.pk]) in html
    assert reverse("signals:detail", args=[other.pk]) not in html
    assert html.count('<span class="tag tag--warning">nieuw</span>') == 1
    assert "gezien door IB'er/veiligheidscoördinator" in html
    assert "opgepakt in dossier" in html


def test_my_signals_hidden_after_role_ends(verified_client, make_signal, teacher):
    signal = make_signal(teacher)
    MembershipFactory(user=teacher, school=PupilFactory().school, role=Role.LEERKRACHT)
    membership = teacher.memberships.get(school=signal.school)
    membership.starts_on = timezone.localdate() - datetime.timedelta(days=100)
    membership.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    membership.save()
    html = _login(verified_client, teacher).get(reverse("signals:mine")).content.decode()
    assert reverse("signals:detail", args=[signal.pk]) not in html


def test_triage_shows_school_signals_new_first(verified_client, make_signal, teacher,
                                               colleague, ib, other_ib, other_pupil,
                                               other_school):
    seen = make_signal(teacher)
    signal_acknowledge(signal=seen, actor=ib)
    new = make_signal(colleague, observed_on=timezone.localdate() - datetime.timedelta(days=30))
    suspect = make_signal(teacher, staff_suspect=True)
    elsewhere_teacher = staff(Role.LEERKRACHT, other_school)
    elsewhere = make_signal(elsewhere_teacher, school=other_school,
                            pupils=[(other_pupil, PupilRole.CONCERNED)])

    html = _login(verified_client, ib).get(reverse("signals:triage")).content.decode()

    new_url = reverse("signals:detail", args=[new.pk])
    seen_url = reverse("signals:detail", args=[seen.pk])
    assert new_url in html and seen_url in html
    assert html.index(new_url) < html.index(seen_url)
    assert reverse("signals:detail", args=[suspect.pk]) not in html
    assert reverse("signals:detail", args=[elsewhere.pk]) not in html
    assert "Fleur Visser" not in html  # a staff member may be called Fleur

    only_new = verified_client.get(reverse("signals:triage"), {"toon": "nieuw"}).content.decode()
    assert new_url in only_new and seen_url not in only_new

    other_html = _login(verified_client, other_ib).get(reverse("signals:triage")).content.decode()
    assert reverse("signals:detail", args=[elsewhere.pk]) in other_html
    assert new_url not in other_html


@pytest.mark.parametrize("who", ["teacher", "director", "sot_member"])
def test_triage_is_for_case_leads_only(verified_client, who, request):
    response = _login(verified_client, request.getfixturevalue(who)).get(
        reverse("signals:triage"))
    assert response.status_code == 403


def _many(make_signal, actor, school, n):
    for _ in range(n):
        pupils = [(PupilFactory(school=school), PupilRole.CONCERNED),
                  (PupilFactory(school=school), PupilRole.WITNESS)]
        make_signal(actor, pupils=pupils)


@pytest.mark.parametrize("n", [1, 25])
def test_my_signals_query_count(verified_client, make_signal, teacher, school, n,
                                django_assert_max_num_queries):
    _many(make_signal, teacher, school, n)
    client = _login(verified_client, teacher)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("signals:mine"))
    assert response.content.decode().count("/signalen/") >= n


@pytest.mark.parametrize("n", [1, 25])
def test_triage_query_count(verified_client, make_signal, teacher, ib, school, n,
                            django_assert_max_num_queries):
    _many(make_signal, teacher, school, n)
    client = _login(verified_client, ib)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("signals:triage"))
    assert response.status_code == 200


def test_list_query_count_is_constant(verified_client, make_signal, teacher, ib, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n):
        _many(make_signal, teacher, school, n)
        counts = []
        for user, name in ((teacher, "signals:mine"), (ib, "signals:triage")):
            client = _login(verified_client, user)
            client.get(reverse(name))  # warm: the role cache of this test
            with CaptureQueriesContext(connection) as ctx:
                client.get(reverse(name))
            counts.append(len(ctx))
        return counts

    assert count(1) == count(24)


@pytest.mark.parametrize("rows", [1, 5])
def test_record_post_query_budget(verified_client, teacher, school, ib, vc, rows,
                                  django_assert_max_num_queries,
                                  django_capture_on_commit_callbacks):
    """Recording a signal, notifications and e-mails to the IB'er and VC included. Session,
    user, OTP device, roles, school, the chosen pupils (one query for all rows, not the
    school's pupil list), the signal with its version and pupil links (each with history, the
    links together whatever their number), then one query for the recipients with their mail
    preferences (or, cached, for the school's directory token) and the notifications insert.
    The count does not grow with the rows."""
    pupils = [PupilFactory(school=school) for _ in range(rows + 1)]
    client = _login(verified_client, teacher)
    client.get(CREATE)  # warm-up: the role permissions cache
    data = form_data([(pupils[0], PupilRole.CONCERNED)]
                     + [(p, PupilRole.WITNESS) for p in pupils[1:rows]], total=5)
    with django_assert_max_num_queries(16):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(CREATE, data)
    assert response.status_code == 302
    signal = Signal.objects.get()
    assert signal.pupil_links.count() == rows
    assert set(signal.pupil_links.model.history.filter(signal_id=signal.pk)
               .values_list("pupil_id", "history_user_id", "history_type")) == {
        (p.pk, teacher.pk, "+") for p in pupils[:rows]}
    from notifications.models import Notification
    assert set(Notification.objects.values_list("user", flat=True)) == {ib.pk, vc.pk}


@pytest.mark.django_db(transaction=True)
def test_record_post_tells_the_holders_of_now_each_by_their_own_mail_and_bell(
        verified_client, teacher, school, ib, vc, pupil, settings, mailoutbox):
    """As in production (commits, the shared cache, the cached role holders): right after the
    POST each recipient's bell counts it, each gets their own mail unless they chose the
    digest, and a role ended between two signals is not told of the second."""
    from notifications.models import MailFrequency, MailPreference, Notification
    from schools.services import membership_end

    settings.MELDCODE_SHARED_CACHE = True
    MailPreference.objects.create(user=vc, frequency=MailFrequency.DAILY)

    def bells():
        counts = []
        for user in (ib, vc):
            response = _login(verified_client, user).get(reverse("core:dashboard"))
            counts.append(response.context["notifications_unread"]())
        return counts

    assert bells() == [0, 0]  # cached now
    client = _login(verified_client, teacher)
    assert client.post(CREATE, form_data([(pupil, PupilRole.CONCERNED)])).status_code == 302
    assert bells() == [1, 1]
    assert [m.to for m in mailoutbox] == [[ib.email]]
    assert sorted(Notification.objects.values_list("user_id", "digest_pending")) == sorted(
        [(ib.pk, False), (vc.pk, True)])

    vc_role = vc.memberships.get()
    vc_role.starts_on = timezone.localdate() - datetime.timedelta(days=7)
    vc_role.save()
    membership_end(actor=None, membership=vc_role,
                   ends_on=timezone.localdate() - datetime.timedelta(days=1))
    client = _login(verified_client, teacher)
    assert client.post(CREATE, form_data([(pupil, PupilRole.CONCERNED)])).status_code == 302
    assert Notification.objects.filter(user=ib).count() == 2
    assert Notification.objects.filter(user=vc).count() == 1
    assert [m.to for m in mailoutbox] == [[ib.email], [ib.email]]
    assert bells()[0] == 2


def test_my_signals_pages_without_losing_rows(verified_client, make_signal, teacher):
    signals = [make_signal(teacher) for _ in range(26)]
    client = _login(verified_client, teacher)
    first = client.get(reverse("signals:mine")).content.decode()
    second = client.get(reverse("signals:mine"), {"pagina": "2"}).content.decode()
    assert "pagina=2" in first and "pagina=1" in second
    shown = [s for s in signals if reverse("signals:detail", args=[s.pk]) + '"' in first + second]
    assert len(shown) == 26
    assert client.get(reverse("signals:mine"), {"pagina": "x"}).status_code == 200
