"""The production urlconf plus the bench floor pages (bench settings only)."""

from django.urls import path

from bench.floor import floor, floor_write
from meldcode.urls import urlpatterns as production

urlpatterns = [path("bench/vloer/", floor, name="bench_floor"),
               path("bench/vloer/schrijven/", floor_write, name="bench_floor_write"),
               *production]
