"""``{% special_route_panel case %}``: what the special routes add to the case page.

Acute: each call with its retrospective status (done, due, overdue; R5), one query, and none
when the case is not marked acute. Board route: a link to the route's page (no query).
"""

from django import template
from django.utils import timezone

from cases.models import Route

from ..selectors import calls_for_case

register = template.Library()


@register.inclusion_tag("specialroutes/_case_panel.html")
def special_route_panel(case):
    now = timezone.now()
    calls = calls_for_case(case)
    for call in calls:
        call.overdue = call.is_overdue(now)
    return {"case": case, "calls": calls, "staff_route": case.route == Route.STAFF}
