"""Model fields shared by several apps."""

from __future__ import annotations

import json

from django.db import models
from django.db.models import Lookup


class IdListField(models.JSONField):
    """A JSON array of integer ids, searchable with ``<field>__has_id=<id>``.

    Django's ``contains`` lookup on a JSONField does not exist on SQLite; ``has_id`` works
    on both backends (PostgreSQL: ``@>``, which a GIN index serves).
    """


@IdListField.register_lookup
class HasId(Lookup):
    """``field__has_id=7``: the array holds the id 7."""

    lookup_name = "has_id"
    prepare_rhs = False

    def _id(self) -> int:
        # An int, never a string or an expression: the value goes into a parameter as JSON.
        return int(self.rhs)

    def as_sql(self, compiler, connection):
        # SQLite (JSON1) and any other backend with json_each.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return (f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",
                [*lhs_params, self._id()])

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", [*lhs_params, json.dumps([self._id()])]
