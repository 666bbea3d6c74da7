"""Overviews that name a pupil beside a case or a signal are reads of case data (R34).

The case list, the triage list and the start page log one "in een overzicht getoond" row per
case or signal they show, so that who had a child's case in view can be answered.
"""
import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLog

pytestmark = pytest.mark.django_db


def _listed(user, obj):
    return AccessLog.objects.filter(user=user, action=AccessAction.LISTED,
                                    object_type=obj._meta.label_lower, object_id=obj.pk)


def test_case_list_logs_each_case_it_shows(verified_client, ib, case, make_case, make_signal,
                                           school):
    from .conftest import create_pupil

    second = make_case(pupil=create_pupil(school))
    verified_client.force_login(ib)
    assert verified_client.get(reverse("cases:list")).status_code == 200
    for shown in (case, second):
        row = _listed(ib, shown).get()
        assert row.case_id == shown.pk and row.school_id == school.pk


def test_case_list_logs_nothing_it_does_not_show(verified_client, ib, case):
    verified_client.force_login(ib)
    verified_client.get(reverse("cases:list"), {"status": "gesloten"})
    assert not _listed(ib, case).exists()


def test_triage_list_logs_each_signal(verified_client, ib, signal):
    verified_client.force_login(ib)
    assert verified_client.get(reverse("signals:triage")).status_code == 200
    row = _listed(ib, signal).get()
    assert row.case_id is None and row.school_id == signal.school_id


def test_dashboard_logs_the_signals_and_cases_it_names(verified_client, ib, signal):
    verified_client.force_login(ib)
    assert verified_client.get(reverse("core:dashboard")).status_code == 200
    assert _listed(ib, signal).exists()  # a new signal is on the IB'er's triage panel


def test_teacher_without_cases_logs_nothing_of_others(verified_client, teacher, colleague,
                                                      signal):
    verified_client.force_login(colleague)
    verified_client.get(reverse("core:dashboard"))
    assert not AccessLog.objects.filter(user=colleague).exists()
