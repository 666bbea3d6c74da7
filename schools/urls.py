from django.urls import path

from . import views

app_name = "schools"
urlpatterns = [
    # People and roles
    path("personen/", views.people, name="people"),
    path("personen/nieuw/", views.person_create, name="person_create"),
    path("personen/<int:pk>/", views.person_detail, name="person_detail"),
    path("personen/<int:pk>/rol-toevoegen/", views.membership_add, name="membership_add"),
    path("rollen/<int:pk>/beeindigen/", views.membership_end, name="membership_end"),
    # Schools and groups
    path("scholen/", views.school_list, name="school_list"),
    path("scholen/<int:school_id>/instellingen/", views.school_settings,
         name="school_settings"),
    path("scholen/<int:school_id>/contacten/", views.contact_list, name="contact_list"),
    path("scholen/<int:school_id>/contacten/nieuw/", views.contact_create,
         name="contact_create"),
    path("scholen/<int:school_id>/contacten/<int:pk>/wijzigen/", views.contact_edit,
         name="contact_edit"),
    path("scholen/<int:school_id>/contacten/<int:pk>/verwijderen/", views.contact_delete,
         name="contact_delete"),
    path("scholen/<int:school_id>/groepen/", views.class_list, name="class_list"),
    path("scholen/<int:school_id>/groepen/nieuw/", views.class_create, name="class_create"),
    path("groepen/<int:pk>/wijzigen/", views.class_edit, name="class_edit"),
    # Pupils and parents
    path("scholen/<int:school_id>/leerlingen/", views.pupil_list, name="pupil_list"),
    path("scholen/<int:school_id>/leerlingen/nieuw/", views.pupil_create, name="pupil_create"),
    path("leerlingen/<int:pk>/", views.pupil_detail, name="pupil_detail"),
    path("leerlingen/<int:pk>/wijzigen/", views.pupil_edit, name="pupil_edit"),
    path("leerlingen/<int:pk>/ouders/toevoegen/", views.parent_add, name="parent_add"),
    path("ouderkoppelingen/<int:pk>/wijzigen/", views.parent_edit, name="parent_edit"),
    path("ouderkoppelingen/<int:pk>/ontkoppelen/", views.parent_remove, name="parent_remove"),
    # Import
    path("leerlingen/importeren/", views.pupil_import, name="pupil_import"),
    path("leerlingen/importeren/bevestigen/", views.pupil_import_confirm,
         name="pupil_import_confirm"),
    path("leerlingen/importeren/voorbeeld.csv", views.pupil_import_template,
         name="pupil_import_template"),
]
