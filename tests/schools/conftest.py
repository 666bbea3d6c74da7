import pytest

from tests.factories import SchoolFactory


@pytest.fixture
def sister_school(school):
    """Another school of the same board: the beheerder manages it, the directeur does not."""
    return SchoolFactory(board=school.board)


@pytest.fixture
def login(verified_client):
    """Log a user in (two-factor verified) and return the client."""

    def _login(user):
        verified_client.force_login(user)
        return verified_client

    return _login
