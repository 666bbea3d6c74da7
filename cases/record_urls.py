"""URLs of the step records and SOT meetings (included by ``cases.urls``, namespace ``cases``).

``RECORD_ACTIONS`` lists the "add a record" links the case page offers: each ``url_name``
takes the case's pk as its only argument (``{% url action.url_name case.pk %}``); show it when
the case is open (or the action says ``"on_closed_case": True``), ``steps`` is None or holds
``case.step``, the user holds ``perm`` on the case (``case_permissions``), and, for
``"requires": "verwijsindex"``, the school has the Verwijsindex switched on
(``case.school.verwijsindex_enabled``, R45).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import record_views, sot_views
from .record_views import RECORD_TYPES

urlpatterns: list = []
for _rt in RECORD_TYPES.values():
    if _rt.addable:
        urlpatterns.append(path(f"<int:case_pk>/{_rt.slug}/nieuw/", record_views.record_add,
                                {"type_name": _rt.name}, name=f"{_rt.name}_add"))
    urlpatterns += [
        path(f"<int:case_pk>/{_rt.slug}/<int:pk>/", record_views.record_detail,
             {"type_name": _rt.name}, name=f"{_rt.name}_detail"),
        path(f"<int:case_pk>/{_rt.slug}/<int:pk>/wijzigen/", record_views.record_edit,
             {"type_name": _rt.name}, name=f"{_rt.name}_edit"),
    ]

urlpatterns += [
    path("<int:case_pk>/verwijsindex/<int:pk>/intrekken/", record_views.vir_withdraw_view,
         name="vir_withdraw"),
    # R44: a match on the registration, and the regievoerder agreed after it.
    path("<int:case_pk>/verwijsindex/<int:pk>/match/nieuw/", record_views.vir_match_add,
         name="vir_match_add"),
    path("<int:case_pk>/verwijsindex/<int:pk>/match/<int:match_pk>/wijzigen/",
         record_views.vir_match_edit, name="vir_match_edit"),
    path("<int:case_pk>/verklaring-ouders/<int:pk>/brief/", record_views.parent_statement_file,
         name="parent_statement_file"),
    path("<int:case_pk>/sot-agenda/", sot_views.case_agenda, name="case_sot_agenda"),
    path("sot/", sot_views.meeting_list, name="sot_meeting_list"),
    path("sot/school/<int:school_pk>/nieuw/", sot_views.meeting_add, name="sot_meeting_add"),
    path("sot/<int:pk>/", sot_views.meeting_detail, name="sot_meeting_detail"),
    path("sot/<int:pk>/wijzigen/", sot_views.meeting_edit, name="sot_meeting_edit"),
    path("sot/<int:pk>/agenda/", sot_views.meeting_agenda_add, name="sot_agenda_add"),
    path("sot/<int:meeting_pk>/bespreking/<int:pk>/", sot_views.discussion_edit,
         name="sot_discussion_edit"),
]

ANY_STEP = None

RECORD_ACTIONS: list[dict] = [
    {"url_name": "cases:vir_add", "label": _("Registratie in de Verwijsindex vastleggen"),
     "steps": ANY_STEP, "perm": "add_record", "requires": "verwijsindex"},
    {"url_name": "cases:consultation_add", "label": _("Collegiale consultatie vastleggen"),
     "steps": {2}, "perm": "add_record"},
    # R16: consulting Veilig Thuis is possible at every step.
    {"url_name": "cases:vt_advice_add", "label": _("Advies van Veilig Thuis vastleggen"),
     "steps": ANY_STEP, "perm": "add_record"},
    {"url_name": "cases:conversation_add",
     "label": _("Gesprek met ouders en/of leerling vastleggen"), "steps": {3},
     "perm": "add_record"},
    # "Talk with parents" recurs at every stage (domain.md §3).
    {"url_name": "cases:parent_contact_add", "label": _("Bespreken met ouders"),
     "steps": ANY_STEP, "perm": "add_record"},
    # R39: parents may add their own statement at any step, also after the case was closed.
    {"url_name": "cases:parent_statement_add", "label": _("Verklaring van ouders toevoegen"),
     "steps": ANY_STEP, "perm": "add_record", "on_closed_case": True},
    {"url_name": "cases:case_sot_agenda", "label": _("Op de agenda van het SOT zetten"),
     "steps": {3, 4}, "perm": "add_record"},
]
