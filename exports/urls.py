"""URLs carry numeric ids (and, for redactions, a model label), never case content."""

from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("dossiers/<int:case_pk>/", views.case_export, name="case_export"),
    path("taken/<int:pk>/", views.job_detail, name="job_detail"),
    path("taken/<int:pk>/status/", views.job_status, name="job_status"),
    path("taken/<int:pk>/downloaden/", views.job_download, name="job_download"),
    path("inzage/", views.inzage_list, name="inzage_list"),
    path("inzage/nieuw/<int:pupil_pk>/", views.inzage_new, name="inzage_new"),
    path("inzage/<int:pk>/", views.inzage_detail, name="inzage_detail"),
    path("inzage/<int:pk>/opties/", views.inzage_options, name="inzage_options"),
    path("inzage/<int:pk>/weglaten/<str:object_type>/<int:object_id>/", views.inzage_redact,
         name="inzage_redact"),
    path("inzage/<int:pk>/weglatingen/<int:redaction_pk>/intrekken/", views.redaction_delete,
         name="redaction_delete"),
    path("inzage/<int:pk>/kopie/", views.inzage_export, name="inzage_export"),
    path("inzage/<int:pk>/afhandelen/", views.inzage_complete, name="inzage_complete"),
]
