"""Overviews that name a pupil beside a case or a signal are reads of case data (R34).

The case list, the triage list and the start page log that they showed a case or a signal
("in een overzicht getoond"): one access-log row per overview, school and object type, holding
the ids shown (``listed_ids``), so that who had a child's case in view can be answered from
the case's access-log page.
"""
import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLog, Case

pytestmark = pytest.mark.django_db


def _listed(user, obj):
    return AccessLog.objects.filter(user=user, action=AccessAction.LISTED,
                                    object_type=obj._meta.label_lower, listed_ids__has_id=obj.pk)


def test_case_list_logs_each_case_it_shows(verified_client, ib, case, make_case, make_signal,
                                           school):
    from .conftest import create_pupil

    second = make_case(pupil=create_pupil(school))
    verified_client.force_login(ib)
    assert verified_client.get(reverse("cases:list")).status_code == 200
    row = AccessLog.objects.get(user=ib, action=AccessAction.LISTED)
    assert row.object_type == "cases.case" and row.school_id == school.pk
    assert row.listed_ids == sorted([case.pk, second.pk])
    assert row.case_id is None and row.object_id is None
    for shown in (case, second):
        assert _listed(ib, shown).get() == row


def test_case_list_logs_nothing_it_does_not_show(verified_client, ib, case):
    verified_client.force_login(ib)
    verified_client.get(reverse("cases:list"), {"status": "gesloten"})
    assert not _listed(ib, case).exists()


def test_triage_list_logs_each_signal(verified_client, ib, signal):
    verified_client.force_login(ib)
    assert verified_client.get(reverse("signals:triage")).status_code == 200
    row = _listed(ib, signal).get()
    assert row.case_id is None and row.school_id == signal.school_id
    assert row.listed_ids == [signal.pk]


def test_dashboard_logs_the_signals_and_cases_it_names(verified_client, ib, signal):
    verified_client.force_login(ib)
    assert verified_client.get(reverse("core:dashboard")).status_code == 200
    assert _listed(ib, signal).exists()  # a new signal is on the IB'er's triage panel


def test_teacher_without_cases_logs_nothing_of_others(verified_client, teacher, colleague,
                                                      signal):
    verified_client.force_login(colleague)
    verified_client.get(reverse("core:dashboard"))
    assert not AccessLog.objects.filter(user=colleague).exists()


def test_has_id_finds_exactly_the_rows_holding_the_id(ib, school):
    """The lookup the access-log page and the retention purge use, on this database."""
    from cases.services import insert_access_rows

    insert_access_rows([
        (ib.pk, school.pk, None, "cases.case", None, AccessAction.LISTED, [3, 17, 170]),
        (ib.pk, school.pk, None, "cases.case", None, AccessAction.LISTED, [1, 7]),
        (ib.pk, school.pk, None, "signals.signal", 17, AccessAction.VIEW)])

    def found(pk):
        return sorted(tuple(r.listed_ids) for r in AccessLog.objects.filter(listed_ids__has_id=pk))

    assert found(17) == [(3, 17, 170)]
    assert found(7) == [(1, 7)]
    assert found(1) == [(1, 7)]
    assert found(70) == [] and found(0) == []
    assert AccessLog.objects.get(listed_ids__isnull=True).object_id == 17


def test_an_overview_is_one_row_per_school_and_type(ib, school, other_school):
    from cases.services import log_listed_rows

    log_listed_rows(user=ib, rows=[("cases.case", 5, school.pk),
                                   ("signals.signal", 9, school.pk),
                                   ("cases.case", 2, school.pk),
                                   ("cases.case", 4, other_school.pk)])
    rows = {(r.school_id, r.object_type): r.listed_ids
            for r in AccessLog.objects.filter(user=ib, action=AccessAction.LISTED)}
    assert rows == {(school.pk, "cases.case"): [2, 5], (school.pk, "signals.signal"): [9],
                    (other_school.pk, "cases.case"): [4]}
    with pytest.raises(ValueError):
        log_listed_rows(user=ib, rows=[("cases.consultation", 1, school.pk)])


def test_the_case_access_log_page_shows_the_overviews_that_showed_it(
        verified_client, ib, vc, case, make_case, school):
    """The VC sees on the case's access-log page that the IB'er had it in the case list,
    and that list's row does not appear on a case that was not in it."""
    from .conftest import create_pupil

    closed = make_case(pupil=create_pupil(school))
    Case.objects.filter(pk=closed.pk).update(status="gesloten", close_reason="geen_zorg")
    verified_client.force_login(ib)
    verified_client.get(reverse("cases:list"))  # open cases only: ``case``, not ``closed``
    verified_client.force_login(vc)
    page = verified_client.get(reverse("cases:access_log", args=[case.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "in een overzicht getoond" in text and f"#{case.pk}" in text
    other = verified_client.get(reverse("cases:access_log", args=[closed.pk])).content.decode()
    assert "in een overzicht getoond" not in other
