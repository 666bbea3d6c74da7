from django.urls import include, path

from . import record_urls, views

app_name = "cases"
urlpatterns = views.urlpatterns + [path("", include(record_urls))]
