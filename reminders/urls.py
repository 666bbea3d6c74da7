from django.urls import path

from . import views

app_name = "reminders"
urlpatterns = [
    path("voorkeuren/", views.preferences, name="preferences"),
    path("termijnen/", views.terms, name="terms"),
    path("termijnen/<int:school_id>/", views.terms_edit, name="terms_edit"),
]
