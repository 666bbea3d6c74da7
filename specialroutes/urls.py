"""URLs of the special routes (namespace ``specialroutes``); numeric ids only."""

from django.urls import path

from . import views

app_name = "specialroutes"
urlpatterns = [
    # Acute danger (R5)
    path("acuut/", views.acute_create, name="acute_create"),
    path("acuut/overzicht/", views.acute_list, name="acute_list"),
    path("acuut/<int:pk>/", views.acute_detail, name="acute_detail"),
    path("acuut/<int:pk>/terugblik/", views.acute_retrospective, name="acute_retrospective"),
    # Suspected perpetrator is a staff member: the board's route (domain.md §6)
    path("bestuur/", views.staff_overview, name="staff_overview"),
    path("bestuur/melden/", views.staff_report, name="staff_report"),
    path("bestuur/melding/<int:pk>/", views.staff_report_done, name="staff_report_done"),
    path("bestuur/signaal/<int:signal_pk>/", views.staff_start, name="staff_start"),
    path("bestuur/dossier/<int:case_pk>/", views.staff_detail, name="staff_detail"),
    path("bestuur/dossier/<int:case_pk>/toevoegen/", views.staff_assign, name="staff_assign"),
    path("bestuur/dossier/<int:case_pk>/<slug:kind>/", views.staff_record_add,
         name="staff_record_add"),
]
