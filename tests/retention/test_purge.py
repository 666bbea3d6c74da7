"""After a destruction nothing anywhere in the database mentions the case or the pupil.

The case is the permission matrix's world (``tests.security.world``): one of every record of
steps 1-5, an acute call, an export, an access request with a redaction, notifications,
guardian grants, plus what is added below (a record deleted long ago, a shared signal, the
pupil's name typed into texts, reminders and access-log rows). Then every text column of
every model (historical ones included) is scanned for the pupil's name, every foreign key
to ``cases.Case`` for the case id, and every link for the case's pages.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from cases import history as case_history
from cases.models import AccessLog, Case, CloseReason, Consultation, Status, Step
from cases.services import log_access
from exports.models import ExportJob, JobKind, JobStatus
from notifications.models import Kind, Notification
from reminders.models import Reminder
from reminders.services import run_scan
from retention import services
from retention.models import DestructionProposal, Tombstone
from schools.models import Pupil
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import PupilFactory
from tests.security.world import PDF, build_world

pytestmark = pytest.mark.django_db

FIRST, LAST = "Zwaantje", "Oosterdijkhuizen"
NAME = f"{FIRST} {LAST}"
# The pupil administration is not case data: the pupil row (and its history) stays, with its
# own term in the school's administration; the scan skips exactly these tables.
SKIPPED = {"schools.pupil", "schools.historicalpupil"}


def _texts(model):
    return [f.attname for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))]


def rows_mentioning(needle: str) -> list[str]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in SKIPPED or not model._meta.managed:
            continue
        names = _texts(model)
        if not names:
            continue
        for row in model.objects.values_list("pk", *names):
            if any(needle.lower() in str(v).lower() for v in row[1:] if v):
                found.append(f"{model._meta.label_lower}#{row[0]}")
    return found


def rows_pointing_at_case(case_id: int) -> list[str]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is Case:
                n = model.objects.filter(**{f.attname: case_id}).count()
                if n:
                    found.append(f"{model._meta.label_lower}.{f.name}: {n}")
        names = {f.name for f in model._meta.concrete_fields}
        if {"object_type", "object_id"} <= names:
            n = model.objects.filter(object_type="cases.case", object_id=case_id).count()
            if n:
                found.append(f"{model._meta.label_lower} object: {n}")
        if "listed_ids" in names:
            n = model.objects.filter(object_type="cases.case", listed_ids__has_id=case_id).count()
            if n:
                found.append(f"{model._meta.label_lower} listed: {n}")
        if "url" in names:
            n = model.objects.filter(Q(url__contains=f"/dossiers/{case_id}/")
                                     | Q(url__contains=f"/dossier/{case_id}/")).count()
            if n:
                found.append(f"{model._meta.label_lower}.url: {n}")
    return found


@pytest.fixture
def world(settings):
    settings.MELDCODE_PSEUDONYM_KEY = "k" * 40
    w = build_world()
    u, o = w.users, w.obj
    pupil, case = o["pupil"], o["case"]
    Pupil.objects.filter(pk=pupil.pk).update(first_name=FIRST, last_name=LAST,
                                             left_on=datetime.date(2020, 7, 1))
    # The pupil's name typed into the case data, in a version and in a record.
    SignalVersion.objects.create(signal=o["signal"], number=2, facts=f"{NAME} vertelde iets",
                                 author=u["recorder"], reason=f"aanvulling over {FIRST}")
    consultation = o["consultation"]
    consultation.advice = f"Let op {NAME}"
    consultation._history_user = u["ib"]
    consultation.save()
    # A record deleted long ago: only its history rows remain.
    gone = Consultation.objects.create(case=case, step=Step.CONSULTATIE,
                                       occurred_on=timezone.localdate(), author=u["ib"],
                                       consulted=f"over {NAME}", advice="weg")
    gone.delete()
    # A signal about this pupil and a classmate: it stays, this pupil's link to it goes.
    classmate = PupilFactory(school=o["school"], first_name="Bram", last_name="Klasgenoot")
    shared = Signal.objects.create(school=o["school"], recorded_by=u["recorder"],
                                   observed_on=timezone.localdate(), category="emotioneel")
    SignalPupil.objects.create(signal=shared, pupil=pupil)
    SignalPupil.objects.create(signal=shared, pupil=classmate)
    SignalVersion.objects.create(signal=shared, number=1, facts="ruzie op het plein",
                                 author=u["recorder"])
    from cases.models import CaseSignal

    CaseSignal.objects.create(case=case, signal=shared, added_by=u["ib"])
    # Reads, a reminder and an in-app notification that point at the case.
    log_access(user=u["ib"], obj=case)
    log_access(user=u["ib"], obj=o["signal"], case=case)
    log_access(user=u["ib"], obj=o["attachment"], case=case)
    # Overviews that showed the case or its signal: with another case or signal that stays,
    # and alone.
    from cases.services import log_listed_rows

    school_id = o["school"].pk
    log_listed_rows(user=u["ib"], rows=[("cases.case", case.pk, school_id),
                                        ("cases.case", o["staff_case"].pk, school_id),
                                        ("signals.signal", o["signal"].pk, school_id),
                                        ("signals.signal", shared.pk, school_id)])
    log_listed_rows(user=u["vc"], rows=[("cases.case", case.pk, school_id)])
    Notification.objects.create(user=u["vc"], kind=Kind.REMINDER, url=f"/dossiers/{case.pk}/",
                                school=o["school"], object_type="cases.case",
                                object_id=case.pk)
    # A stored inzage copy of the pupil (it contains this case).
    inzage_file = default_storage.save("exports/inzage.pdf", ContentFile(PDF))
    ExportJob.objects.create(kind=JobKind.INZAGE, requester=u["directeur"], school=o["school"],
                             access_request=o["access_request"], status=JobStatus.DONE,
                             progress=100, file_name=inzage_file,
                             expires_at=timezone.now() + datetime.timedelta(days=1))
    # Closed, and the legal hold of the world lifted: the term of two years has ended.
    services.hold_lift(hold=o["legal_hold"], reason="afgehandeld", actor=u["vc"])
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, closed_at=timezone.now(),
                                           close_reason=CloseReason.PUPIL_LEFT,
                                           close_explanation=f"{FIRST} is verhuisd")
    case.refresh_from_db()
    w.obj.update(shared=shared, classmate=classmate, inzage_file=inzage_file)
    return w


def test_nothing_mentions_the_case_or_the_pupil_after_destruction(
        world, django_capture_on_commit_callbacks):
    u, o = world.users, world.obj
    case, pupil = o["case"], o["pupil"]
    run_scan()  # the retention source leaves reminders for the VC and the directeur
    assert Reminder.objects.filter(source="retention_case", object_id=case.pk).count() == 2
    files = [o["attachment"].file.name, o["export_job"].file_name, o["inzage_file"],
             o["parent_statement"].file.name]  # R39: the scanned letter goes with the case
    assert all(default_storage.exists(name) for name in files)
    assert rows_mentioning(LAST) and rows_pointing_at_case(case.pk)  # the scans can fail
    history_before = sum(source(case).count() for source in
                         (*case_history._BUILTIN_SOURCES, *case_history._EXTRA_SOURCES))
    assert history_before > 20

    first = services.destruction_approve(case_id=case.pk, actor=u["vc"], stage="goedkeuren")
    with django_capture_on_commit_callbacks(execute=True):
        done = services.destruction_approve(case_id=case.pk, actor=u["directeur"],
                                            stage="bevestigen", proposal_id=first.pk)

    assert done.state == "uitgevoerd"
    assert rows_mentioning(LAST) == []
    assert rows_mentioning(FIRST) == []
    assert rows_pointing_at_case(case.pk) == []
    assert not any(default_storage.exists(name) for name in files)
    # Every historical model the case's change history reads is empty for the case, apart
    # from the shared signal, which stays for the classmate.
    for source in (*case_history._BUILTIN_SOURCES, *case_history._EXTRA_SOURCES):
        left = source(case)
        if left.model.instance_type is Signal:
            assert set(left.values_list("id", flat=True)) <= {o["shared"].pk}
        elif left.model.instance_type in (SignalVersion, SignalPupil):
            assert set(left.values_list("signal_id", flat=True)) <= {o["shared"].pk}
        else:
            assert not left.exists(), left.model
    # What stays: the shared signal (without this pupil), the staff-route case of the same
    # pupil (the board's, not due), the pupil row, the access request (without its copy).
    assert Signal.objects.filter(pk=o["shared"].pk).exists()
    assert list(SignalPupil.objects.filter(signal=o["shared"]).values_list("pupil", flat=True)) \
        == [o["classmate"].pk]
    assert Case.objects.filter(pk=o["staff_case"].pk).exists()
    assert Pupil.objects.filter(pk=pupil.pk).exists()
    job = ExportJob.objects.get(access_request=o["access_request"])
    assert job.file_name == "" and job.file_removed_at is not None
    assert not AccessLog.objects.filter(object_type="cases.case", object_id=case.pk).exists()
    # The overviews keep what stays (the staff-route case, the shared signal); the one that
    # showed only this case is gone.
    listed = {(r.user_id, r.object_type): r.listed_ids
              for r in AccessLog.objects.filter(action="in_lijst")}
    assert listed == {(u["ib"].pk, "cases.case"): [o["staff_case"].pk],
                      (u["ib"].pk, "signals.signal"): [o["shared"].pk]}
    # The tombstone: who, when, why, counts; no content, no name, no case id or number.
    tomb = Tombstone.objects.get()
    assert tomb.access_log_removed >= 3 + 3 and tomb.files_removed == 4 and tomb.history_rows > 20
    assert tomb.removed["cases.parentstatement"] == 1
    assert tomb.removed["cases.consultation"] == 1
    assert tomb.removed["afwegingskader.decision"] == 1
    assert tomb.removed["specialroutes.acutecall"] == 1
    assert tomb.removed["cases.caseuserobjectpermission"] >= 1
    assert tomb.removed["notifications.notification"] >= 1
    assert tomb.removed["reminders.reminder"] == 2
    text = str([getattr(tomb, f.attname) for f in Tombstone._meta.concrete_fields])
    assert LAST not in text and case.number not in text
    assert DestructionProposal.objects.get().case_id is None
    connection.check_constraints()


def test_a_signal_of_another_case_is_never_purged(world):
    """A signal added to a second (later) case of the pupil stays with that case."""
    from cases.models import CaseSignal
    from cases.services import case_open

    u, o = world.users, world.obj
    second = case_open(pupil=o["pupil"], actor=u["ib"], signals=[o["signal"]])
    first = services.destruction_approve(case_id=o["case"].pk, actor=u["vc"],
                                         stage="goedkeuren")
    services.destruction_approve(case_id=o["case"].pk, actor=u["directeur"],
                                 stage="bevestigen", proposal_id=first.pk)
    assert Signal.objects.filter(pk=o["signal"].pk).exists()
    assert CaseSignal.objects.filter(case=second, signal=o["signal"]).exists()
    connection.check_constraints()


def test_the_pupil_reference_is_a_keyed_hash(settings):
    settings.MELDCODE_PSEUDONYM_KEY = "a" * 40
    ref = services.pupil_reference(123)
    assert len(ref) == 64 and "123" not in ref
    assert services.pupil_reference(123) == ref != services.pupil_reference(124)
    settings.MELDCODE_PSEUDONYM_KEY = "b" * 40
    assert services.pupil_reference(123) != ref
    settings.MELDCODE_PSEUDONYM_KEY = ""
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        services.pupil_reference(123)


def test_stripping_a_case_from_many_overviews_is_batched(ib, school,
                                                         django_assert_max_num_queries):
    """A case shown in a list view every day for years is in thousands of overview rows: they
    are rewritten in batches (plus the read and the delete), not one statement per row."""
    from cases.models import AccessAction
    from cases.services import insert_access_rows
    from retention.purge import PurgePlan, _strip_listed

    insert_access_rows([(ib.pk, school.pk, None, "cases.case", None, AccessAction.LISTED,
                         [7, 8 + n]) for n in range(1200)]
                       + [(ib.pk, school.pk, None, "cases.case", None, AccessAction.LISTED, [7])])
    plan = PurgePlan(case_id=7, pupil_id=1)
    plan.ids[Case].add(7)
    with django_assert_max_num_queries(8):
        assert _strip_listed(plan) == 1201
    rows = AccessLog.objects.filter(action=AccessAction.LISTED)
    assert rows.count() == 1200
    assert sorted(r.listed_ids[0] for r in rows) == list(range(8, 1208))
    assert not rows.filter(listed_ids__has_id=7).exists()
