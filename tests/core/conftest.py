"""Fixtures for the hardening tests: a case opened through the real service."""

import pytest

from cases.services import case_open
from tests.cases.conftest import create_pupil, create_signal


@pytest.fixture
def role_groups(db):
    """Role groups with their permissions (see tests/cases/conftest.py)."""
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def case(role_groups, school, ib, teacher):
    pupil = create_pupil(school, first_name="Noor", last_name="Bakker")
    signal = create_signal(school=school, recorded_by=teacher, pupils=pupil,
                           facts="Blauwe plek op de arm.")
    return case_open(pupil=pupil, actor=ib, signals=[signal])


@pytest.fixture
def totp_code():
    """``totp_code(user)``: the code the user's authenticator app shows right now."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def code(user, offset_steps=0):
        device = TOTPDevice.objects.get(user=user, name="default")
        return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                        drift=device.drift + offset_steps)).zfill(device.digits)
    return code
