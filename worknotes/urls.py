"""URLs of the private working notes (R32), under ``/dossiers/`` (namespace ``worknotes``).
Ids only in the paths: never any text of a note."""

from django.urls import path

from . import views

app_name = "worknotes"

urlpatterns = [
    path("<int:case_pk>/werkaantekeningen/", views.note_list, name="list"),
    path("<int:case_pk>/werkaantekeningen/<int:pk>/wijzigen/", views.note_edit, name="edit"),
    path("<int:case_pk>/werkaantekeningen/<int:pk>/delen/", views.note_share, name="share"),
    path("<int:case_pk>/werkaantekeningen/<int:pk>/verwijderen/", views.note_delete,
         name="delete"),
]
