from django.conf import settings

from schools.access import active_roles
from schools.roles import Role


def meldcode(request):
    """Demo banner and the navigation the user's roles call for."""
    user = getattr(request, "user", None)
    roles = {r.role for r in active_roles(user)} if user is not None else set()
    can_handle_inzage = False
    if roles:
        from exports.selectors import inzage_school_ids

        can_handle_inzage = bool(inzage_school_ids(user))
    return {
        "can_handle_inzage": can_handle_inzage,
        "DEMO_MODE": getattr(settings, "DEMO_MODE", False),
        "nav_roles": roles,
        "nav_can_manage": bool(roles & {Role.BEHEERDER, Role.DIRECTEUR}),
        "nav_case_lead": bool(roles & {Role.IB, Role.VC, Role.DIRECTEUR}),
    }
