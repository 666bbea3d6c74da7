"""The school's local contacts, read-only, for its staff (namespace ``contacts``)."""

from django.urls import path

from . import contact_views

app_name = "contacts"
urlpatterns = [
    path("", contact_views.contact_directory, name="list"),
]
