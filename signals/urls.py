from django.urls import path

from . import views

app_name = "signals"
urlpatterns = [
    path("nieuw/", views.signal_create, name="create"),
    path("mijn/", views.my_signals, name="mine"),
    path("binnengekomen/", views.triage, name="triage"),
    path("<int:pk>/", views.signal_detail, name="detail"),
    path("<int:pk>/corrigeren/", views.signal_correct_view, name="correct"),
    path("<int:pk>/gezien/", views.signal_acknowledge_view, name="acknowledge"),
    path("bijlagen/<int:pk>/", views.attachment_download, name="attachment"),
]
