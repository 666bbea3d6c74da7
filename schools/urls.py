from django.urls import path

from . import views

app_name = "schools"
urlpatterns = [
    path("personen/", views.people, name="people"),
]
