"""Fixtures for the reminder tests: cases and signals through the real services, and a clock.

The scan takes ``now`` as an argument, so tests move time forward by passing a later moment
instead of rewriting rows.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.services import case_open
from signals.models import Signal, SignalPupil, SignalVersion
from tests.factories import PupilFactory


@pytest.fixture(autouse=True)
def _no_test_delay(monkeypatch):
    monkeypatch.delenv("MELDCODE_REMINDER_TEST_SEND_DELAY", raising=False)
    monkeypatch.delenv("MELDCODE_REMINDER_BATCH_SIZE", raising=False)


def open_case(school, actor, **kwargs):
    return case_open(pupil=PupilFactory(school=school), actor=actor, **kwargs)


def make_signal(school, recorded_by, *, recorded_at: datetime.datetime | None = None,
                **fields) -> Signal:
    pupil = PupilFactory(school=school)
    signal = Signal(school=school, recorded_by=recorded_by, observed_on=timezone.localdate(),
                    category="lichamelijk", **fields)
    signal._history_user = recorded_by
    signal.save()
    SignalPupil.objects.create(signal=signal, pupil=pupil)
    SignalVersion.objects.create(signal=signal, number=1, facts="Geheime feitentekst",
                                 author=recorded_by)
    if recorded_at is not None:
        # auto_now_add: set the moment afterwards (test setup only).
        Signal.objects.filter(pk=signal.pk).update(recorded_at=recorded_at)
        signal.refresh_from_db()
    return signal


def later(days: float = 0, hours: float = 0) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days, hours=hours)


def local(y, m, d, hh=10, mm=0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(y, m, d, hh, mm))
