"""Fixtures for the private working notes (R32): a case at a school that has them switched on,
the IB'er who owns a note, and people with full access to the case who must never see it."""

import pytest

from cases.services import case_grant_access, case_open
from schools.roles import Role
from tests.factories import PupilFactory, staff
from worknotes.services import work_note_create

SECRET = "Privé: vader klonk dreigend aan de telefoon, nog niet zeker"


@pytest.fixture(autouse=True)
def _role_groups(db):
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def notes_school(school):
    school.work_notes_enabled = True
    school.save()
    return school


@pytest.fixture
def wn_case(notes_school, ib):
    pupil = PupilFactory(school=notes_school, first_name="Sanne", last_name="Jansen")
    return case_open(pupil=pupil, actor=ib)


@pytest.fixture
def note(wn_case, ib):
    return work_note_create(case=wn_case, owner=ib, text=SECRET)


@pytest.fixture
def second_ib(notes_school):
    """Another IB'er of the same school: full access to every case of the school."""
    return staff(Role.IB, notes_school, username="ib2")


@pytest.fixture
def invited(notes_school, wn_case, ib):
    """A teacher with a read grant on the case: may keep notes, may not add records."""
    user = staff(Role.LEERKRACHT, notes_school, username="uitgenodigd")
    case_grant_access(case=wn_case, user=user, level="read", actor=ib)
    return user


@pytest.fixture
def client_for(verified_client):
    def login(user):
        verified_client.force_login(user)
        return verified_client
    return login
