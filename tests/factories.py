import datetime

import factory
from django.contrib.auth import get_user_model
from faker import Faker

from schools.models import (Board, Family, Membership, Parent, Pupil, PupilParent, School,
                            SchoolClass)
from schools.roles import Role

_FAKE = Faker("nl_NL")


def _last_name() -> str:
    """A Dutch surname without the apostrophe of "van 't Erve": names are compared with pages
    in many tests, where the apostrophe is HTML-escaped. Escaping has its own tests."""
    return _FAKE.last_name().replace("'", "")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.LazyFunction(_last_name)
    email = factory.LazyAttribute(lambda u: f"{u.username}@school.invalid")
    password = factory.django.Password("meldcode-test-wachtwoord")


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board

    name = factory.Sequence(lambda n: f"Stichting Onderwijs {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    board = factory.SubFactory(BoardFactory)
    name = factory.Sequence(lambda n: f"Basisschool De Regenboog {n}")
    brin_code = factory.Sequence(lambda n: f"{n:02d}XY{n % 100:02d}"[-6:].rjust(6, "0"))


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"groep {n % 8 + 1}{chr(97 + n // 8 % 26)}")
    school_year = "2026-2027"


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    board = factory.SubFactory(BoardFactory)


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    school = factory.SubFactory(SchoolFactory)
    school_class = None
    external_id = factory.Sequence(lambda n: f"LL{n:06d}")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.LazyFunction(_last_name)
    date_of_birth = datetime.date(2017, 5, 14)


class ParentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Parent

    school = factory.SubFactory(SchoolFactory)
    name = factory.Faker("name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"ouder{n}@example.invalid")


class PupilParentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PupilParent

    pupil = factory.SubFactory(PupilFactory)
    parent = factory.SubFactory(ParentFactory, school=factory.SelfAttribute("..pupil.school"))
    relationship = "moeder"
    has_authority = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    board = factory.LazyAttribute(lambda m: m.school.board if m.school else BoardFactory())
    role = Role.LEERKRACHT
    starts_on = datetime.date(2020, 8, 1)


def staff(role: str, school=None, board=None, **user_kwargs):
    """A user holding ``role`` at ``school`` (or at ``board`` for board roles)."""
    user = UserFactory(**user_kwargs)
    if role in Role.board_level():
        board = board or (school.board if school else BoardFactory())
        MembershipFactory(user=user, school=None, board=board, role=role)
    else:
        MembershipFactory(user=user, school=school or SchoolFactory(), role=role)
    return user
