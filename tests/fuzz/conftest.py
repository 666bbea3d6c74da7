"""The permission matrix's world, its signed-in sessions, and every form found on its pages.

``fuzz_world`` builds ``tests.security.world`` once per module (in a transaction rolled back
at the end), adds objects of another board (the ids a tampered form may point at), and GETs
every page of the matrix as a role allowed to see it, collecting the forms on them: the
targets of the fuzzer. Each form is kept once per action URL, with the role that saw it.
"""

import os
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, Phase, settings

from tests.security.test_permission_matrix import (MATRIX, ROLES, _signed_in_session,
                                                   all_url_names)
from tests.security.world import build_world

from . import html_forms

# CI: fixed seed, few examples, whole fuzz suite well under 90 s on 2 cores.
# HYPOTHESIS_PROFILE=long for a deeper local run.
settings.register_profile(
    "fuzz-ci", max_examples=6, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much], print_blob=True)
settings.register_profile(
    "long", max_examples=200, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much], print_blob=True)
# Triage: like CI but no shrinking, to list every failing URL quickly.
settings.register_profile("triage", parent=settings.get_profile("fuzz-ci"),
                          phases=[Phase.explicit, Phase.generate])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci")
settings.load_profile(PROFILE)

# Whom to send to a page: the first role of this list the matrix lets in.
PREFERENCE = ["ib", "directeur", "vc", "beheerder", "bestuur", "recorder", "teacher", "sot",
              "invited", "sot_absent"]
OK = {200, 302, 400}

# Rows written by reading or signing in, not by a form: left out of the partial-save check.
# core.securityevent: a wrong step-up code is recorded as a security event (audit, like the
# access log), which is the point.
NOT_COUNTED = {"cases.accesslog", "core.securityevent", "sessions.session",
               "axes.accessattempt", "axes.accesslog",
               "axes.accessfailurelog", "admin.logentry", "contenttypes.contenttype",
               "auth.permission"}

# Public pages outside the matrix that take input, fuzzed as an anonymous visitor.
ANONYMOUS_PAGES = ["two_factor:login", "password_reset"]
# Forms the fuzzer must not send: logging out ends the shared session.
SKIP_ACTIONS = {"logout"}


@dataclass
class Target:
    name: str  # URL name of the form's action
    url: str
    role: str
    form: html_forms.Form
    page: str  # the URL the form was found on


@dataclass
class FuzzWorld:
    world: object
    sessions: dict
    targets: dict = field(default_factory=dict)  # action URL -> Target
    pages: dict = field(default_factory=dict)  # URL name -> (url, role)
    foreign_ids: list = field(default_factory=list)


def role_for(expected: dict, method: str) -> str | None:
    good = {200} if method == "get" else OK
    for role in PREFERENCE + ROLES:
        if role != "anon" and expected.get(role) in good:
            return role
    return None


def url_name(path: str) -> str | None:
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    return match.view_name


def client_for(fw: FuzzWorld, role: str) -> Client:
    c = Client()
    if role != "anon":
        c.cookies[django_settings.SESSION_COOKIE_NAME] = fw.sessions[role]
    return c


def model_counts() -> dict:
    counts = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_COUNTED or not model._meta.managed:
            continue
        counts[label] = model._default_manager.count()
    return counts


def _foreign_objects(world) -> list:
    """Objects of a school of another board: a tampered form may name their ids."""
    from schools.models import Membership
    from signals.models import Signal, SignalPupil, SignalVersion
    from tests.factories import PupilFactory, PupilParentFactory, SchoolClassFactory

    school = Membership.objects.get(user=world.users["ib_other_board"]).school
    klass = SchoolClassFactory(school=school)
    pupil = PupilFactory(school=school, school_class=klass)
    link = PupilParentFactory(pupil=pupil)
    signal = Signal.objects.create(school=school, recorded_by=world.users["ib_other_board"],
                                   observed_on="2026-11-02", category="emotioneel")
    SignalPupil.objects.create(signal=signal, pupil=pupil)
    SignalVersion.objects.create(signal=signal, number=1, facts="Feiten",
                                 author=world.users["ib_other_board"])
    ids = {school.pk, klass.pk, pupil.pk, link.pk, link.parent.pk, signal.pk,
           world.users["ib_other_board"].pk, world.users["bestuur_other_board"].pk}
    return sorted(ids)


def discover(fw: FuzzWorld) -> None:
    """GET every page of the matrix as an allowed role; keep each form by its action."""
    for name, (method, args, expected, *_rest) in sorted(MATRIX.items()):
        if method != "get":
            continue
        role = role_for(expected, method)
        if role is None:
            continue
        url = reverse(name, args=args(fw.world) if args else None)
        fw.pages[name] = (url, role)
    for name in ANONYMOUS_PAGES:
        fw.pages[name] = (reverse(name), "anon")
    for name, (url, role) in fw.pages.items():
        with transaction.atomic():
            response = client_for(fw, role).get(url)
            transaction.set_rollback(True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        forms, _ = html_forms.parse(response.content.decode())
        for form in forms:
            action = form.action or url
            action_name = url_name(action)
            if action_name is None or action_name in SKIP_ACTIONS:
                continue
            key = (form.method, action)
            known = fw.targets.get(key)
            if known is None or len(form.fields) > len(known.form.fields):
                fw.targets[key] = Target(name=action_name, url=action, role=role, form=form,
                                         page=url)


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    media = tmp_path_factory.mktemp("fuzz-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            world = build_world()
            world.media_root = media
            sessions = {role: _signed_in_session(user, TOTPDevice.objects.get(user=user))
                        for role, user in world.users.items()}
            fw = FuzzWorld(world=world, sessions=sessions)
            fw.foreign_ids = _foreign_objects(world)
            discover(fw)
            yield fw
            transaction.set_rollback(True)


__all__ = ["MATRIX", "all_url_names"]
