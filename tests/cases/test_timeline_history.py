"""The case timeline (cases.timeline) and the change history (cases.history)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import history as history_module
from cases import timeline as timeline_module
from cases.history import case_history, register_history_source
from cases.models import Case, Step
from cases.services import case_add_signals, record_save
from cases.timeline import TimelineEntry, case_timeline, register_timeline_source
from cases.workflow import move_case
from signals.models import SignalVersion

from .conftest import DAY

pytestmark = pytest.mark.django_db


def _grow(case, ib, records, make_signal, n):
    """Add ``n`` records of each type, ``n`` signals and some step moves."""
    for i in range(n):
        day = DAY + datetime.timedelta(days=i)
        records.verwijsindex(case, ib, occurred_on=day)
        records.consultation(case, ib, occurred_on=day)
        records.vt_advice(case, ib, occurred_on=day)
        records.conversation(case, ib, occurred_on=day)
        records.sot_discussion(case, ib)
        case_add_signals(case=case, signals=[make_signal(pupils=case.pupil, observed_on=day)],
                         actor=ib)
    return case


# --- Timeline ----------------------------------------------------------------------------

def test_timeline_is_in_date_order_with_authors(case, ib, teacher, records, make_signal):
    early = make_signal(pupils=case.pupil, observed_on=DAY - datetime.timedelta(days=30),
                        facts="Eerdere waarneming.", child_words="Ik wil niet naar huis.",
                        interpretation="Angstig.")
    case_add_signals(case=case, signals=[early], actor=ib)
    records.consultation(case, ib, occurred_on=DAY + datetime.timedelta(days=2))
    records.conversation(case, ib, occurred_on=DAY + datetime.timedelta(days=5),
                         kind="contact_ouders")
    records.sot_discussion(case, ib, meeting=records.sot_meeting(
        case.school, ib, [ib], held_on=DAY + datetime.timedelta(days=9)))
    move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=ib, reason="Door naar 2.")

    entries = case_timeline(case)
    kinds = [e.kind for e in entries]
    assert kinds[:2] == ["signal", "signal"]
    assert kinds[2:5] == ["consultation", "conversation", "sot_discussion"]
    # Transitions happen "today", after the September records.
    assert kinds[5:] == ["transition", "transition"]
    assert [e.date for e in entries] == sorted(e.date for e in entries)
    first = entries[0]
    assert first.obj == early and first.author == teacher
    assert first.obj.latest_version.child_words == "Ik wil niet naar huis."
    assert first.obj.latest_version.interpretation == "Angstig."
    opened, moved = entries[5], entries[6]
    assert opened.author == ib and "geopend" in opened.title
    assert moved.moment is not None and ("Reden", "Door naar 2.") in moved.details
    assert entries[3].title == "Bespreken met ouders"


def test_timeline_shows_the_latest_version_of_a_signal(case, ib, teacher):
    signal = case.signal_links.get().signal
    first = signal.versions.get()
    # The IB'er corrects the facts; the teacher's interpretation stays the teacher's (R29).
    correction = SignalVersion(signal=signal, number=2, facts="Blauwe plek op de linkerarm.",
                               child_words=first.child_words,
                               interpretation=first.interpretation,
                               author=ib, reason="Verkeerde arm genoteerd.")
    correction._history_user = ib
    correction.save()
    (entry,) = [e for e in case_timeline(case) if e.kind == "signal"]
    latest = entry.obj.latest_version
    assert latest.facts == "Blauwe plek op de linkerarm."
    assert (latest.author, latest.interpretation_author) == (ib, teacher)
    assert ("Versie", "2") in entry.details
    # A changed interpretation belongs to whoever changed it.
    third = SignalVersion(signal=signal, number=3, facts=correction.facts,
                          interpretation="Mogelijk lichamelijke mishandeling.", author=ib,
                          reason="Interpretatie aangevuld.")
    third._history_user = ib
    third.save()
    (entry,) = [e for e in case_timeline(case) if e.kind == "signal"]
    assert entry.obj.latest_version.interpretation_author == ib


def test_timeline_runs_a_fixed_number_of_queries(case, make_case, ib, records, make_signal,
                                                 django_assert_max_num_queries, monkeypatch):
    # Other apps' sources (the afwegingskader) have their own query tests.
    monkeypatch.setattr(timeline_module, "_EXTRA_SOURCES", [])
    small = _grow(case, ib, records, make_signal, 1)
    large = _grow(make_case(), ib, records, make_signal, 25)

    def count(c):
        with CaptureQueriesContext(connection) as ctx:
            entries = case_timeline(Case.objects.get(pk=c.pk))
        return len(ctx), len(entries)

    (n_small, e_small), (n_large, e_large) = count(small), count(large)
    assert e_large > e_small
    assert n_small == n_large
    with django_assert_max_num_queries(1 + 8):  # the case, then one query per source (8 built in)
        case_timeline(Case.objects.get(pk=large.pk))


def test_registered_timeline_source(case, ib, monkeypatch):
    monkeypatch.setattr(timeline_module, "_EXTRA_SOURCES", [])

    def afwegingskader(c):
        return [TimelineEntry(date=DAY + datetime.timedelta(days=1), kind="afweging",
                              title="Vraag 1 beantwoord", author=ib, obj=c,
                              details=[("Antwoord", "ja")])]

    register_timeline_source(afwegingskader)
    register_timeline_source(afwegingskader)  # idempotent
    entries = case_timeline(case)
    assert [e.kind for e in entries].count("afweging") == 1
    assert entries[1].kind == "afweging"  # after the signal of DAY, before today's opening


def test_timeline_page_renders_registered_entries(verified_client, ib, case, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr(timeline_module, "_EXTRA_SOURCES", [])
    register_timeline_source(lambda c: [TimelineEntry(
        date=DAY, kind="afweging", title="Beslissing 1: melden", author=ib, obj=c,
        details=[("Toelichting", "Acute onveiligheid.")])])
    verified_client.force_login(ib)
    body = verified_client.get(reverse("cases:timeline", args=[case.pk])).content.decode()
    assert "Beslissing 1: melden" in body and "Acute onveiligheid." in body


# --- Change history ----------------------------------------------------------------------

def test_history_diffs_field_changes_with_labels_and_users(case, ib, vc):
    case.owner = vc
    case._history_user, case._change_reason = ib, "casusregisseur overgedragen"
    case.save()
    entries = case_history(case)
    change = next(e for e in entries if e.reason == "casusregisseur overgedragen")
    assert change.user == ib and change.kind == "~"
    assert change.model_label == "Dossier"
    (owner,) = [c for c in change.changes if c.field == "owner"]
    assert owner.label == "Casusregisseur"
    assert (owner.old, owner.new) == (ib.get_full_name(), vc.get_full_name())


def test_history_shows_step_moves_and_record_edits(case, ib, records):
    move_case(case_id=case.pk, target=Step.CONSULTATIE, actor=ib)
    consultation = records.consultation(case, ib, advice="Eerste advies.")
    consultation.advice = "Bijgesteld advies."
    record_save(record=consultation, actor=ib, base_version=consultation.lock_version,
                reason="advies aangevuld")
    entries = case_history(case)
    step = next(e for e in entries if e.model_label == "Dossier" and e.kind == "~")
    (field,) = [c for c in step.changes if c.field == "step"]
    assert field.old.startswith("Stap 1") and field.new.startswith("Stap 2")
    edit = next(e for e in entries if e.reason == "advies aangevuld")
    assert [(c.label, c.old, c.new) for c in edit.changes] == [
        ("Advies", "Eerste advies.", "Bijgesteld advies.")]
    created = next(e for e in entries if e.model_label == "Collegiale consultatie"
                   and e.kind == "+")
    assert ("Advies", "Eerste advies.") in [(c.label, c.new) for c in created.changes]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)


def test_history_covers_the_cases_signals(case, teacher):
    signal = case.signal_links.get().signal
    correction = SignalVersion(signal=signal, number=2, facts="Gecorrigeerde feiten.",
                               author=teacher, reason="typefout")
    correction._history_user = teacher
    correction.save()
    labels = {e.model_label for e in case_history(case)}
    assert {"Signaal", "Versie van signaal", "Leerling in signaal", "Signaal in dossier",
            "Stapwissel", "Dossier"} <= labels
    version = next(e for e in case_history(case) if e.model_label == "Versie van signaal"
                   and e.object_id == correction.pk)
    assert version.user == teacher
    assert ("Wat heeft u gezien of gehoord (feiten)", "Gecorrigeerde feiten.") in [
        (c.label, c.new) for c in version.changes]


def test_history_runs_one_query_per_model(case, make_case, ib, vc, records, make_signal,
                                          django_assert_max_num_queries):
    small = _grow(case, ib, records, make_signal, 1)
    large = _grow(make_case(), ib, records, make_signal, 25)
    for c in (small, large):
        for owner in (vc, ib, vc):
            c.owner, c._history_user = owner, ib
            c.save()
    sources = len(history_module._BUILTIN_SOURCES) + len(history_module._EXTRA_SOURCES)

    def count(c):
        with CaptureQueriesContext(connection) as ctx:
            entries = case_history(c)
        return len(ctx), len(entries)

    (n_small, e_small), (n_large, e_large) = count(small), count(large)
    assert e_large > e_small
    assert n_small == n_large
    with django_assert_max_num_queries(sources + 1):  # + user names, once
        case_history(large)


def test_registered_history_source(case, ib, monkeypatch):
    monkeypatch.setattr(history_module, "_EXTRA_SOURCES", [])
    # Any tracked model of another app; here the pupil's history stands in for one.
    from schools.models import Pupil

    register_history_source(lambda c: Pupil.history.filter(id=c.pupil_id))
    pupil = case.pupil
    pupil.first_name, pupil._history_user = "Anders", ib
    pupil.save()
    entry = next(e for e in case_history(case) if e.model_label == "Leerling" and e.kind == "~")
    assert [(c.field, c.new) for c in entry.changes] == [("first_name", "Anders")]


def test_history_page_budget(verified_client, ib, case, records, make_signal,
                             django_assert_max_num_queries):
    from django.urls import reverse

    _grow(case, ib, records, make_signal, 25)
    verified_client.force_login(ib, stepped_up=True)  # the page asks a fresh 2FA code
    sources = len(history_module._BUILTIN_SOURCES) + len(history_module._EXTRA_SOURCES)
    # Page overhead (session, user, 2FA device, roles, case, grants, access log, session save)
    # stays fixed; the history adds one query per model plus one for user names.
    with django_assert_max_num_queries(12 + sources + 1):
        assert verified_client.get(reverse("cases:history", args=[case.pk])).status_code == 200
