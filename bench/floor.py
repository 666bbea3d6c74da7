"""The floor pages: the cheapest pages Django can serve here, as yardsticks for the others.

``floor``: a bare view rendering 50 rows of one table through a template, no permission
checks. ``floor_write``: a bare POST that saves one row with its history row (one
transaction) and redirects, no session, CSRF or permission checks: the yardstick beside which
the signal POST (seven rows with history, notifications) can be read. Both are reachable only
through ``bench.urls`` (the bench settings' urlconf), never in production.
"""

from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.models import FloorWrite

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


@csrf_exempt
@require_POST
def floor_write(request):
    with transaction.atomic():
        FloorWrite.objects.create(text=request.POST.get("tekst", "")[:200])
    return HttpResponseRedirect("/bench/vloer/")
