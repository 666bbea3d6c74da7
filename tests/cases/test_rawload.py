"""The hand-written access checks of the case page and the SOT meeting page (``core.rawload``)
against their ORM reference, for every user of a world with several roles and schools, and the
loader itself against ORM-loaded instances for every concrete field of the models it builds."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, Route, SotMeeting, Status
from cases.selectors import CASE_RELATED, case_get_for_user, cases_visible_to
from cases.services import case_open
from cases.sot import meeting_get_for_user, meetings_visible_to
from core import rawload
from schools.models import Membership, Pupil, School
from schools.roles import Role
from tests.factories import (BoardFactory, FamilyFactory, MembershipFactory, PupilFactory,
                             SchoolClassFactory, SchoolFactory, staff)

User = get_user_model()


def _values(obj) -> dict:
    """Every concrete field's value with its type (``repr``: bool vs 1, aware vs naive)."""
    return {f.attname: repr(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def assert_same(raw, orm, related=()):
    """``raw`` is the instance the ORM gave: same class, field values, state, related rows."""
    if orm is None:
        assert raw is None
        return
    assert raw is not None
    assert type(raw) is type(orm)
    assert _values(raw) == _values(orm)
    assert (raw._state.db, raw._state.adding) == (orm._state.db, orm._state.adding)
    assert set(raw._state.fields_cache) == set(orm._state.fields_cache)
    for name in related:  # "pupil__school_class": the pupil, then its group
        head, _, rest = name.partition("__")
        assert_same(raw._state.fields_cache[head], orm._state.fields_cache[head],
                    (rest,) if rest else ())


def _outcome(fn):
    try:
        return fn()
    except Http404:
        return None


@pytest.fixture
def world(db):
    """Two schools of one board and one of another; every kind of reader and outsider; cases
    of both routes and statuses; meetings chaired and attended from inside and outside."""
    board = BoardFactory()
    a, b = SchoolFactory(board=board), SchoolFactory(board=board)
    c = SchoolFactory()
    u = {
        "ib_a": staff(Role.IB, a), "vc_a": staff(Role.VC, a), "dir_a": staff(Role.DIRECTEUR, a),
        "teacher_a": staff(Role.LEERKRACHT, a), "sot_a": staff(Role.SOT, a),
        "sot_a_absent": staff(Role.SOT, a), "ib_b": staff(Role.IB, b),
        "sot_b": staff(Role.SOT, b), "ib_c": staff(Role.IB, c),
        "bestuur": staff(Role.BESTUUR, board=board), "beheerder": staff(Role.BEHEERDER, a),
        "nobody": User.objects.create(username="nobody"),
    }
    u["ib_a_sot_b"] = staff(Role.IB, a)  # a lead at A, an SOT member at B
    MembershipFactory(user=u["ib_a_sot_b"], school=b, role=Role.SOT)
    u["ib_both"] = staff(Role.IB, a)  # a lead at both schools
    MembershipFactory(user=u["ib_both"], school=b, role=Role.IB)
    u["former_ib_a"] = staff(Role.IB, a)  # the job ended yesterday
    Membership.objects.filter(user=u["former_ib_a"]).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1))
    u["future_ib_a"] = staff(Role.IB, a)  # starts tomorrow
    Membership.objects.filter(user=u["future_ib_a"]).update(
        starts_on=timezone.localdate() + datetime.timedelta(days=1))
    u["inactive_ib_a"] = staff(Role.IB, a, is_active=False)
    u["former_sot_a"] = staff(Role.SOT, a)  # attends a meeting at A, no longer in the job
    Membership.objects.filter(user=u["former_sot_a"]).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1))

    ib_a = u["ib_a"]
    family = FamilyFactory(board=board)
    cases = {
        "open_a": case_open(pupil=PupilFactory(school=a, family=family), actor=ib_a),
        "closed_a": case_open(pupil=PupilFactory(school=a, family=family), actor=ib_a),
        "staff_a": case_open(pupil=PupilFactory(school=a), actor=ib_a),
        "open_b": case_open(pupil=PupilFactory(school=b), actor=u["ib_b"]),
        "open_c": case_open(pupil=PupilFactory(school=c), actor=u["ib_c"]),
    }
    Case.objects.filter(pk=cases["closed_a"].pk).update(
        status=Status.CLOSED, close_reason="anders", closed_at=timezone.now(), acute=True)
    Case.objects.filter(pk=cases["staff_a"].pk).update(route=Route.STAFF)
    from cases.services import case_grant_access

    for case in cases.values():
        case.refresh_from_db()
    case_grant_access(case=cases["open_a"], user=u["teacher_a"], level="read", actor=ib_a)
    case_grant_access(case=cases["open_b"], user=u["ib_a_sot_b"], level="read",
                      actor=u["ib_b"])
    case_grant_access(case=cases["staff_a"], user=u["bestuur"], level="read", actor=ib_a)

    today = timezone.localdate()
    meetings = {
        "m_a": SotMeeting.objects.create(school=a, held_on=today, chair=u["dir_a"],
                                         created_by=ib_a),
        # chaired by someone without a role at A; attended by the lead of A who is SOT at B
        "m_a_outside_chair": SotMeeting.objects.create(
            school=a, held_on=today, chair=u["sot_b"], created_by=ib_a,
            external_attendees=[{"naam": "Jeugdarts", "functie": "GGD"}], parents_attended=True),
        "m_b": SotMeeting.objects.create(school=b, held_on=today, chair=u["ib_b"],
                                         created_by=u["ib_b"]),
        "m_b_chaired_by_a": SotMeeting.objects.create(school=b, held_on=today,
                                                      chair=u["ib_a_sot_b"], created_by=u["ib_b"]),
        "m_c": SotMeeting.objects.create(school=c, held_on=today, chair=u["ib_c"],
                                         created_by=u["ib_c"]),
    }
    meetings["m_a"].attendees.add(u["sot_a"], u["dir_a"], u["former_sot_a"], u["sot_b"])
    meetings["m_a_outside_chair"].attendees.add(u["teacher_a"])
    meetings["m_b"].attendees.add(u["sot_b"], u["ib_a_sot_b"], u["sot_a"])
    from cases.models import SotDiscussion

    SotDiscussion.objects.create(meeting=meetings["m_a"], case=cases["open_a"],
                                 step=cases["open_a"].step, occurred_on=today, author=ib_a)
    return u, cases, meetings


def _fresh(user):
    """The user as a request would load it: nothing cached on the object."""
    return User.objects.get(pk=user.pk)


MISSING = 10**9


@pytest.mark.parametrize("related", [("pupil",), ("school", "pupil", "owner"), CASE_RELATED])
def test_case_fast_path_equals_the_orm_for_every_user_and_case(world, related):
    users, cases, _meetings = world
    pks = [c.pk for c in cases.values()] + [MISSING]
    seen = 0
    for user in users.values():
        for pk in pks:
            raw = _outcome(lambda: case_get_for_user(_fresh(user), pk, related=related))
            orm = _outcome(lambda: get_object_or_404(cases_visible_to(_fresh(user), related),
                                                     pk=pk))
            assert_same(raw, orm, related)
            seen += raw is not None
    assert seen >= 10  # the world is not empty for everyone: leads, grants, other schools


def test_lead_branch_equals_the_queryset(world):
    """The hand-written first branch against the queryset it replaces, for every user and case
    (the lead's own school, another school, the staff route, a missing case)."""
    from cases.selectors import _lead_case
    from schools.access import school_ids_with_perm

    users, cases, _meetings = world
    found = 0
    for user in users.values():
        lead = school_ids_with_perm(_fresh(user), "cases.view_school_cases")
        if not lead:
            continue
        for pk in [c.pk for c in cases.values()] + [MISSING]:
            orm = (Case.objects.filter(pk=pk, route=Route.MELDCODE, school_id__in=lead)
                   .select_related("pupil").first())
            assert_same(_lead_case(pk, lead, ("pupil",)), orm, ("pupil",))
            found += orm is not None
    assert found >= 6


def test_meeting_lookup_equals_the_orm_for_every_user_and_meeting(world):
    users, _cases, meetings = world
    pks = [m.pk for m in meetings.values()] + [MISSING]
    visible = set()
    for name, user in users.items():
        for pk in pks:
            raw = _outcome(lambda: meeting_get_for_user(_fresh(user), pk))
            orm = _outcome(lambda: get_object_or_404(meetings_visible_to(_fresh(user)), pk=pk))
            assert_same(raw, orm, ("school", "chair"))
            if raw is not None:
                visible.add((name, pk))
    m = {k: v.pk for k, v in meetings.items()}
    # Spot checks of the rule itself, so the comparison cannot pass on two empty answers.
    assert ("ib_a", m["m_a"]) in visible and ("ib_a", m["m_b"]) not in visible
    assert ("sot_a", m["m_a"]) in visible and ("sot_a_absent", m["m_a"]) not in visible
    assert ("sot_a", m["m_b"]) not in visible  # attends at B without a role there
    assert ("sot_b", m["m_a"]) not in visible  # ditto at A
    assert ("sot_b", m["m_b"]) in visible and ("ib_b", m["m_b_chaired_by_a"]) in visible
    assert ("ib_a_sot_b", m["m_b_chaired_by_a"]) in visible  # chair with a role at B
    assert ("ib_a_sot_b", m["m_b"]) in visible  # attends with a role at B
    assert ("teacher_a", m["m_a_outside_chair"]) in visible
    assert ("sot_b", m["m_a_outside_chair"]) not in visible  # chairs without a role at A
    assert ("ib_both", m["m_b"]) in visible and ("ib_both", m["m_c"]) not in visible
    for outsider in ("former_sot_a", "former_ib_a", "future_ib_a", "inactive_ib_a", "nobody",
                     "bestuur", "ib_c"):
        assert not any(name == outsider and pk != m["m_c"] for name, pk in visible), outsider


# --- the loader itself ------------------------------------------------------------------------

def _by_pk(model, pk, related=()):
    return rawload.load_one(model, f"{rawload.column(model, 'pk')} = %s", [pk], related=related)


def test_loader_round_trips_every_field_of_the_models_it_builds(world):
    users, cases, meetings = world
    ib_a = users["ib_a"]
    User.objects.filter(pk=ib_a.pk).update(last_login=timezone.now(), is_staff=True,
                                           email="ib@example.org")
    pupil = cases["open_a"].pupil
    Pupil.objects.filter(pk=pupil.pk).update(
        left_on=timezone.localdate(), school_class=SchoolClassFactory(school=pupil.school))
    School.objects.filter(pk=pupil.school_id).update(verwijsindex_enabled=True,
                                                     doubt_means_report=False)
    objects = [*cases.values(), *meetings.values(), *users.values()]
    objects += [c.pupil for c in cases.values()] + [c.school for c in cases.values()]
    for obj in objects:
        model = type(obj)
        assert_same(_by_pk(model, obj.pk), model.objects.get(pk=obj.pk))


@pytest.mark.parametrize("model, related", [
    (Case, ("school", "pupil", "owner", "opened_by")),
    (Pupil, ("school", "school_class", "family")),  # nullable keys: a left join
    (SotMeeting, ("school", "chair", "created_by")),
])
def test_loader_caches_related_rows_like_select_related(world, model, related):
    users, cases, meetings = world
    # One pupil without group or family: its nullable keys load as None, as select_related.
    Pupil.objects.filter(pk=cases["staff_a"].pupil_id).update(school_class=None, family=None)
    objs = {Case: cases.values(), SotMeeting: meetings.values(),
            Pupil: [c.pupil for c in cases.values()]}[model]
    for obj in objs:
        with CaptureQueriesContext(connection) as ctx:
            raw = _by_pk(model, obj.pk, related)
            for name in related:
                getattr(raw, name)
        assert len(ctx) == 1
        assert_same(raw, model.objects.select_related(*related).get(pk=obj.pk), related)


def test_loader_answers_none_for_no_row_and_refuses_an_empty_in(world):
    assert _by_pk(Case, MISSING) is None
    with pytest.raises(ValueError):
        rawload.placeholders([])
    with pytest.raises(ValueError):  # only direct foreign keys are joined
        _by_pk(Case, MISSING, related=("pupil__school_class",))


def test_loader_passes_values_as_parameters(world):
    """A value that is SQL stays a value: nothing is formatted into the statement."""
    _users, cases, _meetings = world
    case = cases["open_a"]
    where = (f"{rawload.column(Case, 'pk')} = %s AND {rawload.column(Case, 'number')}"
             f" IN ({rawload.placeholders([1, 2])})")
    assert rawload.load_one(Case, where, [case.pk, "x' OR '1'='1", case.number]) is not None
    assert rawload.load_one(Case, where, [case.pk, "x' OR '1'='1", "nope"]) is None
