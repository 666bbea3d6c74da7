import datetime
import os

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone

from cases.services import ServiceError
from notifications.models import Kind, MailFrequency, MailPreference, Notification
from schools.roles import Role
from signals.models import (Category, PupilRole, Signal, SignalAttachment, SignalPupil,
                            SignalVersion, Source)
from signals.services import (VersionConflict, signal_acknowledge, signal_correct,
                              signal_recipients)
from signals.validators import MAX_ATTACHMENT_SIZE
from tests.factories import MembershipFactory, PupilFactory, staff

from .helpers import EXE, FACTS, PDF, PNG, upload

pytestmark = pytest.mark.django_db


def _stored_files():
    root = default_storage.location
    return [f for _dir, _subdirs, files in os.walk(root) for f in files]


# --- recording ------------------------------------------------------------------------------

def test_record_creates_signal_with_first_version_and_pupils(make_signal, teacher, pupil,
                                                               pupil2):
    signal = make_signal(teacher, pupils=[(pupil, PupilRole.CONCERNED),
                                          (pupil2, PupilRole.WITNESS)], disclosure=True)

    assert signal.recorded_by == teacher
    assert signal.disclosure is True
    assert {(link.pupil_id, link.role) for link in signal.pupil_links.all()} == {
        (pupil.pk, PupilRole.CONCERNED), (pupil2.pk, PupilRole.WITNESS)}
    version = signal.versions.get()
    assert (version.number, version.facts, version.author) == (1, FACTS, teacher)
    assert version.child_words == "Papa was boos."
    assert version.interpretation == "Ik maak me zorgen."
    assert signal.history.get().history_user == teacher


def test_record_accepts_an_earlier_observation_date(make_signal, teacher):
    earlier = timezone.localdate() - datetime.timedelta(days=20)
    assert make_signal(teacher, observed_on=earlier).observed_on == earlier


@pytest.mark.parametrize("overrides, message", [
    ({"observed_on": timezone.localdate() + datetime.timedelta(days=1)}, "toekomst"),
    ({"source": Source.THIRD_PARTY, "source_detail": "  "}, "naam of functie"),
    ({"source": Source.PARENT}, "naam of functie"),
    ({"facts": "   "}, "gezien of gehoord"),
])
def test_record_refuses_invalid_fields(make_signal, teacher, overrides, message):
    with pytest.raises(ServiceError) as exc:
        make_signal(teacher, **overrides)
    assert message in str(exc.value)
    assert not Signal.objects.exists()


def test_record_keeps_source_detail_for_third_party(make_signal, teacher):
    signal = make_signal(teacher, source=Source.THIRD_PARTY, source_detail="buurvrouw")
    assert signal.source_detail == "buurvrouw"


def test_record_refuses_pupil_of_other_school(make_signal, teacher, other_pupil):
    with pytest.raises(ServiceError, match="niet \\(meer\\) op deze school"):
        make_signal(teacher, pupils=[(other_pupil, PupilRole.CONCERNED)])
    assert not Signal.objects.exists()


def test_record_refuses_pupil_who_left(make_signal, teacher, school):
    left = PupilFactory(school=school, left_on=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ServiceError):
        make_signal(teacher, pupils=[(left, PupilRole.CONCERNED)])


def test_record_needs_a_concerned_pupil(make_signal, teacher, pupil):
    with pytest.raises(ServiceError, match="om wie de zorg gaat"):
        make_signal(teacher, pupils=[(pupil, PupilRole.WITNESS)])
    assert not Signal.objects.exists()


def test_record_refuses_the_same_pupil_twice(make_signal, teacher, pupil):
    with pytest.raises(ServiceError, match="meer dan één keer"):
        make_signal(teacher, pupils=[(pupil, PupilRole.CONCERNED), (pupil, PupilRole.WITNESS)])


def test_record_refuses_more_than_five_pupils(make_signal, teacher, school):
    pupils = [(PupilFactory(school=school), PupilRole.CONCERNED) for _ in range(6)]
    with pytest.raises(ServiceError, match="maximaal 5"):
        make_signal(teacher, pupils=pupils)


def test_record_needs_a_school_role(make_signal, other_ib):
    with pytest.raises(PermissionDenied):
        make_signal(other_ib)


# --- attachments ----------------------------------------------------------------------------

def test_pdf_and_png_are_stored_with_their_content_type(make_signal, teacher):
    signal = make_signal(teacher, attachments=[upload("brief.pdf", PDF, "application/pdf"),
                                               upload("arm.png", PNG)])

    stored = {a.original_name: a for a in signal.attachments.all()}
    assert stored["brief.pdf"].content_type == "application/pdf"
    assert stored["arm.png"].content_type == "image/png"
    assert stored["arm.png"].size == len(PNG)
    for attachment in stored.values():
        # Random names under the school's folder: no pupil data, no extension from the user.
        assert attachment.file.name.startswith(f"signalen/{signal.school_id}/")
        assert "arm" not in attachment.file.name and "brief" not in attachment.file.name
        assert default_storage.exists(attachment.file.name)


def test_type_is_read_from_content_not_from_the_name(make_signal, teacher):
    # An image with a .pdf name is stored as what it is.
    signal = make_signal(teacher, attachments=[upload("scan.pdf", PNG, "application/pdf")])
    assert signal.attachments.get().content_type == "image/png"


def test_executable_renamed_to_pdf_is_refused(make_signal, teacher):
    with pytest.raises(ServiceError, match="geen foto"):
        make_signal(teacher, attachments=[upload("brief.pdf", EXE, "application/pdf")])
    assert not Signal.objects.exists()
    assert _stored_files() == []


def test_too_big_attachment_is_refused(make_signal, teacher):
    big = upload("groot.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_SIZE, "application/pdf")
    with pytest.raises(ServiceError, match="groter dan 10 MB"):
        make_signal(teacher, attachments=[big])
    assert not Signal.objects.exists()


def test_more_than_five_attachments_are_refused(make_signal, teacher):
    with pytest.raises(ServiceError, match="maximaal 5 bijlagen"):
        make_signal(teacher, attachments=[upload(f"{i}.png") for i in range(6)])
    assert not SignalAttachment.objects.exists()


def test_failed_save_leaves_no_files_behind(make_signal, teacher, monkeypatch):
    from signals import services

    original_create = services._create

    def create_then_fail(**kwargs):
        original_create(**kwargs)
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "_create", create_then_fail)
    with pytest.raises(RuntimeError):
        make_signal(teacher, attachments=[upload()])
    assert _stored_files() == []
    assert not Signal.objects.exists()


# --- notifications --------------------------------------------------------------------------

def test_new_signal_notifies_ib_and_vc_of_that_school_only(
        make_signal, teacher, colleague, ib, vc, director, other_ib, mailoutbox,
        django_capture_on_commit_callbacks, pupil):
    with django_capture_on_commit_callbacks(execute=True):
        signal = make_signal(teacher)

    notified = Notification.objects.filter(kind=Kind.NEW_SIGNAL)
    assert {n.user for n in notified} == {ib, vc}
    assert all(n.url == f"/signalen/{signal.pk}/" and n.school_id == signal.school_id
               for n in notified)
    assert not Notification.objects.filter(user__in=[teacher, colleague, director, other_ib])
    assert sorted(m.to[0] for m in mailoutbox) == sorted([ib.email, vc.email])
    for mail in mailoutbox:
        text = mail.subject + mail.body
        assert "nieuw signaal" in text
        assert f"/signalen/{signal.pk}/" in mail.body
        for secret in (FACTS, "blauwe plek", pupil.first_name, pupil.last_name,
                       "Papa was boos", "zorgen"):
            assert secret not in text


def test_no_notification_before_commit(make_signal, teacher, ib):
    make_signal(teacher)  # the test transaction never commits
    assert not Notification.objects.exists()


def test_acute_danger_also_notifies_the_director(make_signal, teacher, ib, director,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_signal(teacher, acute_danger=True)
    assert set(Notification.objects.values_list("user__username", "kind")) == {
        (ib.username, Kind.NEW_SIGNAL), (director.username, Kind.ACUTE)}


def test_staff_suspect_goes_to_the_board_only(make_signal, teacher, ib, vc, director, bestuur,
                                              beheerder, mailoutbox,
                                              django_capture_on_commit_callbacks):
    other_board_member = staff(Role.BESTUUR)
    with django_capture_on_commit_callbacks(execute=True):
        make_signal(teacher, staff_suspect=True, acute_danger=True)

    assert list(Notification.objects.values_list("user", flat=True)) == [bestuur.pk]
    assert [m.to for m in mailoutbox] == [[bestuur.email]]
    assert other_board_member.notifications.count() == 0


def test_recorder_is_not_notified_of_own_signal(make_signal, ib, vc):
    signal = make_signal(ib)
    assert signal_recipients(signal)[Kind.NEW_SIGNAL] == [vc]


def test_ended_membership_gets_no_notification(make_signal, teacher, ib):
    membership = ib.memberships.get()
    membership.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    membership.starts_on = membership.ends_on - datetime.timedelta(days=30)
    membership.save()
    signal = make_signal(teacher)
    assert signal_recipients(signal)[Kind.NEW_SIGNAL] == []


def test_recipients_are_the_schools_active_leads_once_each_ib_first(make_signal, teacher,
                                                                     school, other_ib):
    """IB'ers by id, then the veiligheidscoördinatoren who are not also IB'er, by id. Not:
    a switched-off account, a role not yet in force, a lead of another school."""
    vc = staff(Role.VC, school, username="vc_eerst")
    ib = staff(Role.IB, school, username="ib")
    both = staff(Role.VC, school, username="vc_en_ib")
    MembershipFactory(user=both, school=school, role=Role.IB)
    ib2 = staff(Role.IB, school, username="ib2")
    staff(Role.IB, school, username="uitgeschakeld", is_active=False)
    future = staff(Role.VC, school, username="per_volgende_maand")
    future.memberships.update(starts_on=timezone.localdate() + datetime.timedelta(days=30))
    staff(Role.DIRECTEUR, school)

    signal = make_signal(teacher)

    assert signal_recipients(signal) == {Kind.NEW_SIGNAL: [ib, both, ib2, vc]}


def test_fan_out_is_one_query_and_an_insert(make_signal, teacher, ib, vc, school, mailoutbox,
                                           django_capture_on_commit_callbacks,
                                           django_assert_num_queries):
    """The recipients, their role check and their mail preferences in one query; a digest
    user gets the notification without an e-mail."""
    MailPreference.objects.create(user=vc, frequency=MailFrequency.DAILY)
    with django_capture_on_commit_callbacks() as callbacks:
        signal = make_signal(teacher)
    with django_assert_num_queries(2):
        with django_capture_on_commit_callbacks(execute=True):  # the e-mails
            callbacks[0]()

    rows = {n.user_id: n for n in Notification.objects.filter(object_id=signal.pk)}
    assert set(rows) == {ib.pk, vc.pk}
    assert rows[vc.pk].digest_pending and not rows[ib.pk].digest_pending
    assert [m.to for m in mailoutbox] == [[ib.email]]


def test_acute_staff_suspect_reaches_active_board_members_of_the_board_only(
        make_signal, teacher, bestuur, school, django_capture_on_commit_callbacks):
    staff(Role.BESTUUR, board=school.board, username="oud_bestuurder", is_active=False)
    staff(Role.BESTUUR, username="ander_bestuur")
    staff(Role.IB, school)
    with django_capture_on_commit_callbacks(execute=True):
        signal = make_signal(teacher, staff_suspect=True, acute_danger=True)
    assert signal_recipients(signal) == {Kind.ACUTE: [bestuur]}
    assert list(Notification.objects.values_list("user", "kind")) == [(bestuur.pk, Kind.ACUTE)]


def test_pupil_links_get_history_rows_by_the_recorder(make_signal, teacher, school, pupil):
    others = [PupilFactory(school=school) for _ in range(2)]
    signal = make_signal(teacher, pupils=[(pupil, PupilRole.CONCERNED)]
                         + [(p, PupilRole.WITNESS) for p in others])
    history = SignalPupil.history.filter(signal_id=signal.pk)
    assert sorted(history.values_list("id", "pupil_id", "role", "history_type",
                                      "history_user_id", "history_change_reason")) == sorted(
        (link.pk, link.pupil_id, link.role, "+", teacher.pk, None)
        for link in signal.pupil_links.all())


def test_record_queries_do_not_grow_with_pupils(make_signal, teacher, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n):
        pupils = [(PupilFactory(school=school), PupilRole.CONCERNED) for _ in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            make_signal(teacher, pupils=pupils)
        return len(ctx)

    count(1)  # warm-up: the recorder's roles and the role permissions cache
    assert count(1) == count(5)


# --- corrections ----------------------------------------------------------------------------

def test_correction_adds_version_two_and_keeps_version_one(make_signal, teacher):
    signal = make_signal(teacher)
    version = signal_correct(signal=signal, actor=teacher, base_number=1,
                             facts="Blauwe plek op de rechterarm.", child_words="",
                             interpretation="Ik maak me zorgen.", reason="arm verwisseld")

    assert (version.number, version.reason, version.author) == (2, "arm verwisseld", teacher)
    first = signal.versions.get(number=1)
    assert first.facts == FACTS and first.reason == ""
    assert signal.versions.count() == 2


def test_case_lead_may_correct(make_signal, teacher, ib):
    signal = make_signal(teacher)
    signal_correct(signal=signal, actor=ib, base_number=1, facts="Aangevuld.",
                   reason="aanvulling")
    assert signal.versions.order_by("-number").first().author == ib


@pytest.mark.parametrize("who", ["colleague", "director", "other_ib"])
def test_others_may_not_correct(make_signal, teacher, who, request):
    signal = make_signal(teacher)
    with pytest.raises(PermissionDenied):
        signal_correct(signal=signal, actor=request.getfixturevalue(who), base_number=1,
                       facts="x", reason="y")


def test_correction_needs_a_reason_and_a_change(make_signal, teacher):
    signal = make_signal(teacher)
    with pytest.raises(ServiceError, match="reden"):
        signal_correct(signal=signal, actor=teacher, base_number=1, facts="Nieuw", reason=" ")
    with pytest.raises(ServiceError, match="niets gewijzigd"):
        signal_correct(signal=signal, actor=teacher, base_number=1, facts=FACTS,
                       child_words="Papa was boos.", interpretation="Ik maak me zorgen.",
                       reason="niets")
    assert signal.versions.count() == 1


def test_correction_on_an_old_version_is_a_conflict(make_signal, teacher, ib):
    signal = make_signal(teacher)
    signal_correct(signal=signal, actor=ib, base_number=1, facts="Versie van de IB'er.",
                   reason="aanvulling")

    with pytest.raises(VersionConflict) as exc:
        signal_correct(signal=signal, actor=teacher, base_number=1, facts="Mijn versie.",
                       reason="tikfout")
    assert exc.value.current.number == 2
    assert exc.value.current.facts == "Versie van de IB'er."
    assert SignalVersion.objects.filter(signal=signal).count() == 2


# --- acknowledgement ------------------------------------------------------------------------

def test_acknowledge_sets_who_and_when_with_history_reason(make_signal, teacher, ib):
    signal = make_signal(teacher)
    signal_acknowledge(signal=signal, actor=ib)

    signal.refresh_from_db()
    assert signal.acknowledged_by == ib and signal.acknowledged_at is not None
    latest = signal.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (ib, "gezien")


def test_acknowledge_twice_keeps_the_first(make_signal, teacher, ib, vc):
    signal = make_signal(teacher)
    signal_acknowledge(signal=signal, actor=ib)
    signal_acknowledge(signal=signal, actor=vc)
    signal.refresh_from_db()
    assert signal.acknowledged_by == ib
    assert signal.history.count() == 2


@pytest.mark.parametrize("who", ["teacher", "director", "other_ib"])
def test_only_case_leads_of_the_school_acknowledge(make_signal, teacher, who, request):
    signal = make_signal(teacher)
    with pytest.raises(PermissionDenied):
        signal_acknowledge(signal=signal, actor=request.getfixturevalue(who))


def test_staff_suspect_signal_is_not_acknowledged_by_the_school(make_signal, teacher, ib):
    signal = make_signal(teacher, staff_suspect=True)
    with pytest.raises(PermissionDenied):
        signal_acknowledge(signal=signal, actor=ib)


def test_category_honour_is_flagged(make_signal, teacher):
    assert make_signal(teacher, category=Category.HONOUR).is_honour_related
