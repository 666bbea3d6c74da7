"""``{% step5_panel case %}``: what step 5 adds to the case page — the decision in force, the
reports to Veilig Thuis with the date their feedback is due, and the help plan's evaluation
date (R13, R22). No query before the case reaches step 5 or outside the Meldcode route;
three small queries after.
"""

from django import template
from django.utils import timezone

from cases.models import Route, Step

from ..selectors import help_plan_for, latest_decision, reports_for

register = template.Library()


@register.inclusion_tag("afwegingskader/_case_panel.html")
def step5_panel(case):
    if case.route != Route.MELDCODE or case.step < Step.BESLISSEN:
        return {"show": False}
    return {"show": True, "case": case, "decision": latest_decision(case),
            "reports": reports_for(case), "plan": help_plan_for(case),
            "today": timezone.localdate()}
