"""URLs of step 5 and its follow-through (namespace ``afwegingskader``).

Included at the site root under ``dossiers/`` next to ``cases.urls``; every path starts with
the case's numeric id and a segment of its own, so they never clash with the case pages.

``CASE_ACTIONS`` lists the links the case page offers, like ``cases.record_urls.RECORD_ACTIONS``:
each ``url_name`` takes the case's pk as its only argument; show it when the case is open,
``steps`` is None or holds ``case.step``, and the user holds ``perm`` on the case.
"""

from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "afwegingskader"


class FollowUpKindConverter:
    """Only the known follow-up record kinds: anything else is a 404."""

    regex = "|".join(views.FOLLOWUP_KINDS)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FollowUpKindConverter, "followupkind")

urlpatterns = [
    path("<int:case_pk>/afwegingskader/", views.step5, name="step5"),
    path("<int:case_pk>/besluit/nieuw/", views.decision_add, name="decision_add"),
    path("<int:case_pk>/besluit/spoed/", views.decision_add_urgent, name="decision_add_urgent"),
    path("<int:case_pk>/besluit/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("<int:case_pk>/melding/nieuw/", views.report_add, name="report_add"),
    path("<int:case_pk>/melding/concept/", views.report_draft, name="report_draft"),
    path("<int:case_pk>/melding/<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:case_pk>/melding/<int:pk>/wijzigen/", views.report_edit, name="report_edit"),
    path("<int:case_pk>/melding/<int:pk>/concept/", views.report_draft,
         name="report_draft_from_report"),
    path("<int:case_pk>/melding/<int:report_pk>/terugkoppeling/nieuw/", views.feedback_add,
         name="feedback_add"),
    path("<int:case_pk>/melding/<int:report_pk>/rol-school/nieuw/", views.role_agreement_edit,
         name="role_agreement_add"),
    path("<int:case_pk>/melding/<int:report_pk>/rol-school/<int:pk>/wijzigen/",
         views.role_agreement_edit, name="role_agreement_edit"),
    path("<int:case_pk>/informatie-veilig-thuis/nieuw/", views.info_request_add,
         name="info_request_add"),
    path("<int:case_pk>/hulpplan/", views.help_plan_edit, name="help_plan"),
    path("<int:case_pk>/opvolging/", views.followup, name="followup"),
    path("<int:case_pk>/knelpunt/nieuw/", views.followup_add, {"kind": "knelpunt"},
         name="bottleneck_add"),
    path("<int:case_pk>/opvolging/<followupkind:kind>/nieuw/", views.followup_add,
         name="followup_add"),
    path("<int:case_pk>/opvolging/<followupkind:kind>/<int:pk>/wijzigen/", views.followup_edit,
         name="followup_edit"),
]

STEP5_AND_FOLLOWUP = {5, 6}
ANY_STEP = None

CASE_ACTIONS: list[dict] = [
    {"url_name": "afwegingskader:step5", "label": _("Afwegingskader (stap 5)"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "view_case"},
    {"url_name": "afwegingskader:decision_add", "label": _("Besluit van het SOT vastleggen"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "decide_case"},
    {"url_name": "afwegingskader:decision_add_urgent",
     "label": _("Spoedbesluit vastleggen (veiligheidscoördinator)"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "decide_urgent"},
    {"url_name": "afwegingskader:report_draft", "label": _("Concept-melding voor Veilig Thuis"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "add_record"},
    {"url_name": "afwegingskader:report_add", "label": _("Melding bij Veilig Thuis vastleggen"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "add_record"},
    {"url_name": "afwegingskader:help_plan", "label": _("Hulpplan"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "add_record"},
    {"url_name": "afwegingskader:followup", "label": _("Melding, hulp en opvolging"),
     "steps": STEP5_AND_FOLLOWUP, "perm": "view_case"},
    # Veilig Thuis may ask the school for information at any moment (informant role, R24).
    {"url_name": "afwegingskader:info_request_add",
     "label": _("Informatie aan Veilig Thuis op verzoek vastleggen"),
     "steps": ANY_STEP, "perm": "add_record"},
    # R42: bottlenecks for policy advice can show up at any step.
    {"url_name": "afwegingskader:bottleneck_add", "label": _("Knelpunt voor beleid noteren"),
     "steps": ANY_STEP, "perm": "add_record"},
]
