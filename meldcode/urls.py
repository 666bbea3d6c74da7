from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_urls

from core import views as core_views

urlpatterns = [
    path("", include("core.urls")),
    path("", include(two_factor_urls)),
    path("account/uitloggen/", core_views.logout_view, name="logout"),
    path("account/wachtwoord-vergeten/", core_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("account/wachtwoord-vergeten/verzonden/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("account/wachtwoord-herstellen/<uidb64>/<token>/",
         auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("account/wachtwoord-herstellen/klaar/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("beheer/", include("schools.urls")),
    path("contacten/", include("schools.contact_urls")),
    path("signalen/", include("signals.urls")),
    path("dossiers/", include("cases.urls")),
    path("dossiers/", include("afwegingskader.urls")),
    path("dossiers/", include("worknotes.urls")),
    path("meldingen/", include("notifications.urls")),
    path("herinneringen/", include("reminders.urls")),
    path("route/", include("specialroutes.urls")),
    path("export/", include("exports.urls")),
    path("bewaartermijnen/", include("retention.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
