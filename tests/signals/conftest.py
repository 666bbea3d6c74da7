import datetime

import pytest
from django.utils import timezone

from schools.roles import Role
from signals.models import Category, PupilRole, Source
from signals.services import signal_record
from tests.factories import PupilFactory, SchoolClassFactory, staff

from .helpers import FACTS


@pytest.fixture(autouse=True)
def _role_groups(db):
    """Grant the role groups their permissions.

    In a fresh test database ``sync_role_groups`` runs on the ``schools`` app's post_migrate,
    before the permissions of ``signals`` and ``cases`` exist; running it again is idempotent.
    """
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def klass(school):
    return SchoolClassFactory(school=school, name="groep 5a")


@pytest.fixture
def pupil(school, klass):
    return PupilFactory(school=school, school_class=klass, first_name="Noor",
                        last_name="Jansen")


@pytest.fixture
def pupil2(school):
    return PupilFactory(school=school, first_name="Daan", last_name="Bakker")


@pytest.fixture
def other_pupil(other_school):
    return PupilFactory(school=other_school, first_name="Fleur", last_name="Visser")


@pytest.fixture
def other_ib(other_school):
    return staff(Role.IB, other_school, username="ib_andere_school")


@pytest.fixture
def make_signal(school, pupil):
    """Record a signal through the service, as the app does."""

    def make(actor, *, pupils=None, attachments=(), **overrides):
        fields = dict(
            school=school, observed_on=timezone.localdate() - datetime.timedelta(days=1),
            category=Category.PHYSICAL, source=Source.OWN, source_detail="", facts=FACTS,
            child_words="Papa was boos.", interpretation="Ik maak me zorgen.",
            disclosure=False, acute_danger=False, staff_suspect=False)
        fields.update(overrides)
        return signal_record(actor=actor, pupils=pupils or [(pupil, PupilRole.CONCERNED)],
                             attachments=list(attachments), **fields)

    return make
