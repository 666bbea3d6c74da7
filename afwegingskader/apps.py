from django.apps import AppConfig


class AfwegingskaderConfig(AppConfig):
    name = "afwegingskader"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The case workflow, timeline and change history do not import this app
        # (architecture.md); this app plugs into them through their registries.
        from cases.models import Step
        from cases.workflow import register_close_guard, register_guard

        from . import guards, timeline

        from cases.actions import register_case_actions

        from .urls import CASE_ACTIONS

        register_case_actions(CASE_ACTIONS)
        register_guard(Step.VOLGEN, guards.followup_guard)
        register_close_guard(guards.close_guard)
        timeline.register()
