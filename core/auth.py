"""The authentication backend: Django's ``ModelBackend``, loading the signed-in user cheaply.

Every signed-in request loads its user (``django.contrib.auth.get_user`` ->
``backend.get_user``). Django builds that ``User.objects.get(pk=...)`` through the ORM's query
compiler each time, about 0.35 ms of CPU; ``core.rawload`` runs the same one-row query by hand
and builds the same instance. Everything else (password checks, permissions, who may log in)
is Django's own.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError

from core import rawload


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if pk is None:
            return None
        user = rawload.load_one(User, f"{rawload.column(User, 'pk')} = %s", [pk])
        return user if user is not None and self.user_can_authenticate(user) else None
