from django.urls import path

from . import views

app_name = "retention"
urlpatterns = [
    path("", views.proposals, name="proposals"),
    path("termijnen/", views.terms, name="terms"),
    path("termijnen/<int:board_id>/", views.terms_edit, name="terms_edit"),
    path("dossier/<int:case_pk>/", views.proposal, name="proposal"),
    path("dossier/<int:case_pk>/bewaarplicht/", views.hold_add, name="hold_add"),
    path("signaal/<int:signal_pk>/", views.signal_proposal, name="signal_proposal"),
    path("bewaarplicht/<int:pk>/opheffen/", views.hold_lift, name="hold_lift"),
    path("verzoeken/", views.requests, name="requests"),
    path("verzoeken/nieuw/<int:pupil_pk>/", views.request_new, name="request_new"),
    path("verzoeken/<int:pk>/", views.request_detail, name="request_detail"),
]
