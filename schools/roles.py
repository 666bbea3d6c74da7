"""Roles and what each role may do.

A role is held per school (board roles per board) through ``schools.Membership``, with dates.
Each role maps to a Django group carrying the role's model permissions; the group is the
source of truth at run time, this table only seeds it. Which *objects* a role may see is the
business of each app's selectors (``cases.selectors``), not of these permissions.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    LEERKRACHT = "leerkracht", _("leerkracht")
    IB = "ib", _("intern begeleider")
    VC = "vc", _("veiligheidscoördinator / aandachtsfunctionaris")
    DIRECTEUR = "directeur", _("directeur")
    SOT = "sot", _("lid schoolondersteuningsteam (SOT)")
    BEHEERDER = "beheerder", _("functioneel beheerder (bestuur)")
    BESTUUR = "bestuur", _("bestuurder (bevoegd gezag)")

    @classmethod
    def board_level(cls):
        return [cls.BEHEERDER, cls.BESTUUR]


GROUP_NAMES = {
    Role.LEERKRACHT: "Leerkracht",
    Role.IB: "Intern begeleider",
    Role.VC: "Veiligheidscoördinator",
    Role.DIRECTEUR: "Directeur",
    Role.SOT: "SOT-lid",
    Role.BEHEERDER: "Functioneel beheerder",
    Role.BESTUUR: "Bestuurder",
}

# Permission codenames ("app_label.codename") each role group starts with.
_CASE_LEADS = {
    "signals.add_signal", "signals.triage_signal",
    "cases.open_case", "cases.view_school_cases", "cases.advance_case", "cases.add_record",
    "cases.view_access_log",
}
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.LEERKRACHT: {"signals.add_signal"},
    Role.IB: _CASE_LEADS,
    Role.VC: _CASE_LEADS | {"cases.decide_urgent"},
    Role.DIRECTEUR: {"signals.add_signal", "cases.view_school_cases", "cases.export_dossier",
                     "cases.decide_case",
                     "schools.manage_people", "cases.add_record"},
    Role.SOT: {"signals.add_signal", "cases.decide_case", "cases.add_record"},
    Role.BEHEERDER: {"schools.manage_people", "schools.import_pupils", "schools.manage_settings"},
    Role.BESTUUR: {"cases.view_staff_route"},
}

# Roles that can read case data and therefore must use two-factor authentication.
CASE_READING_ROLES = {Role.LEERKRACHT, Role.IB, Role.VC, Role.DIRECTEUR, Role.SOT, Role.BESTUUR}


def sync_role_groups(sender=None, **kwargs):
    """Create each role's group and grant the permissions it starts with (idempotent).

    Runs after ``migrate``; permissions added in the admin later are kept.
    """
    from django.contrib.auth.models import Group, Permission

    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = ROLE_PERMISSIONS[role]
        perms = Permission.objects.filter(
            content_type__app_label__in={p.split(".")[0] for p in wanted},
            codename__in={p.split(".")[1] for p in wanted},
        ).select_related("content_type")
        group.permissions.add(*[p for p in perms
                                if f"{p.content_type.app_label}.{p.codename}" in wanted])
