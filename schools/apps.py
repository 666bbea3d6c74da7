from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("Scholen en personen")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import sync_role_groups
        # Connects the signals that end cached roles and role permissions, in every process.
        from . import access  # noqa: F401

        # After every app's migrations, so permissions of apps migrated later exist too.
        post_migrate.connect(sync_role_groups, dispatch_uid="schools.sync_role_groups")
