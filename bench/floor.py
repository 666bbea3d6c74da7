"""The floor page: the cheapest page Django can serve here, as the yardstick for the others.

A bare view rendering 50 rows of one table through a template, no permission checks. It is
reachable only through ``bench.urls`` (the bench settings' urlconf), never in production.
"""

from django.http import HttpResponse
from django.template import engines

from schools.models import Pupil

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang=\"nl\"><head><title>Vloer</title></head><body><table>"
    "{% for p in rows %}<tr><td>{{ p.pk }}</td><td>{{ p.first_name }}</td>"
    "<td>{{ p.last_name }}</td><td>{{ p.date_of_birth }}</td></tr>{% endfor %}"
    "</table></body></html>")


def floor(request):
    rows = list(Pupil.objects.order_by("pk").only(
        "first_name", "last_name", "date_of_birth")[:50])
    return HttpResponse(_TEMPLATE.render({"rows": rows}))
