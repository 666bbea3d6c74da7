"""The production urlconf plus the bench floor page (bench settings only)."""

from django.urls import path

from bench.floor import floor
from meldcode.urls import urlpatterns as production

urlpatterns = [path("bench/vloer/", floor, name="bench_floor"), *production]
