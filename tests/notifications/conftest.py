import pytest


@pytest.fixture(autouse=True)
def _role_groups(db):
    """See tests/signals/conftest.py: role groups get their permissions in a fresh database."""
    from schools.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def bell(settings):
    """Register the unread-count context processor (the lead adds it to settings)."""
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    name = "notifications.context_processors.unread_notifications"
    if name not in processors:
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {
            **settings.TEMPLATES[0]["OPTIONS"], "context_processors": [*processors, name]}}]
