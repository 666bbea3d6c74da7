"""One row by hand-written SQL, built into model instances exactly as the ORM builds them.

For the per-request access checks of hot pages: compiling a ``QuerySet`` (filter, Q objects,
``select_related``) costs more CPU than running the query. ``load_one`` selects every concrete
column of ``model`` (alias ``t``) and of the rows its foreign keys in ``related`` point at
(inner join, or a left join for a nullable key), under a ``WHERE`` the caller writes, and
builds the instances with ``Model.from_db``. Each column goes through the converters the
ORM's compiler applies (the backend's plus the field's: datetimes, booleans, JSON, ...), so
the instances equal what ``Model.objects.select_related(*related).get(...)`` gives on every
backend; each related instance is cached on the row (``case.pupil`` needs no query).

The ORM's querysets stay the source of truth for who may see what; a caller of this module
must reproduce one of them exactly, and a test must compare the two. Values are always
passed as parameters (``placeholders`` for an ``IN``), never formatted into the SQL; names
come from ``_meta`` and are quoted (``column``, ``table``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router

ALIAS = "t"


# Quoted names per (database alias, model, field, table alias): the names and the database
# behind an alias are fixed for the life of the process.
_names: dict[tuple, str] = {}


def table(model, alias: str = ALIAS) -> str:
    """``"table" "alias"``: the table of ``model`` under ``alias``, for a ``FROM``."""
    return _name(model, None, alias)


def column(model, field_name: str, alias: str = ALIAS) -> str:
    """``alias."column"`` of ``field_name`` (or ``"pk"``) of ``model``, quoted for the model's
    database."""
    return _name(model, field_name, alias)


def _name(model, field_name, alias) -> str:
    db = router.db_for_read(model)
    key = (db, model, field_name, alias)
    name = _names.get(key)
    if name is None:
        quote = connections[db].ops.quote_name
        if field_name is None:
            name = f"{quote(model._meta.db_table)} {quote(alias)}"
        else:
            field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
            name = f"{quote(alias)}.{quote(field.column)}"
        _names[key] = name
    return name


def placeholders(values) -> str:
    """``%s, %s, ...``: one placeholder per value, for ``IN (...)``. Never empty: an empty
    ``IN ()`` is invalid SQL, so the caller must leave the condition out (it matches nothing)."""
    if not values:
        raise ValueError("IN () matches nothing: leave the condition out")
    return ", ".join(["%s"] * len(values))


@dataclass(frozen=True)
class _Part:
    """One model in the row: where its columns start and how to build it."""

    model: type
    fk: object | None  # the ForeignKey on the base model; None for the base model itself
    start: int
    attnames: tuple[str, ...]
    pk_index: int  # within this part's values
    converters: tuple  # ((index within the part, converters, expression), ...)


@dataclass(frozen=True)
class _Plan:
    select: str  # "SELECT ... FROM ... JOIN ..."
    parts: tuple[_Part, ...]


# Per connection object (a Django connection is per thread): the converters are bound to it.
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plan(connection, model, related: tuple[str, ...]) -> _Plan:
    per_connection = _plans.get(connection)
    if per_connection is None:
        per_connection = _plans[connection] = {}
    key = (model, related)
    plan = per_connection.get(key)
    if plan is None:
        plan = per_connection[key] = _build_plan(connection, model, related)
    return plan


def _build_plan(connection, model, related: tuple[str, ...]) -> _Plan:
    quote = connection.ops.quote_name
    selected: list[str] = []
    parts: list[_Part] = []
    joins: list[str] = []

    def add(part_model, alias, fk):
        fields = part_model._meta.concrete_fields
        converters = []
        for i, field in enumerate(fields):
            col = field.get_col(alias)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if convs:
                converters.append((i, tuple(convs), col))
            selected.append(f"{quote(alias)}.{quote(field.column)}")
        pk_index = next(i for i, f in enumerate(fields) if f.primary_key)
        parts.append(_Part(part_model, fk, len(selected) - len(fields),
                           tuple(f.attname for f in fields), pk_index, tuple(converters)))

    add(model, ALIAS, None)
    for n, name in enumerate(related):
        try:
            fk = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(f"{model.__name__} has no field {name}") from None
        if not (fk.many_to_one or fk.one_to_one) or not fk.concrete:
            raise ValueError(f"{model.__name__}.{name} is not a foreign key of the model")
        target = fk.related_model
        alias = f"r{n}"
        join = "LEFT OUTER JOIN" if fk.null else "INNER JOIN"
        joins.append(f"{join} {quote(target._meta.db_table)} {quote(alias)} ON "
                     f"{quote(alias)}.{quote(fk.target_field.column)} = "
                     f"{quote(ALIAS)}.{quote(fk.column)}")
        add(target, alias, fk)
    sql = (f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} {quote(ALIAS)}"
           + "".join(f" {j}" for j in joins))
    return _Plan(sql, tuple(parts))


def load_one(model, where: str, params, *, related=()):
    """The one row of ``model`` matching ``where`` (SQL on alias ``t``, ``%s`` placeholders,
    values in ``params``), with the rows of the foreign keys ``related`` (direct ones only)
    cached on it; ``None`` when no row matches. Build ``where`` with ``column`` and
    ``placeholders``; it must match at most one row (a condition on the primary key)."""
    db = router.db_for_read(model)
    connection = connections[db]
    plan = _plan(connection, model, tuple(related))
    with connection.cursor() as cursor:
        cursor.execute(f"{plan.select} WHERE {where} LIMIT 2", list(params))
        rows = cursor.fetchmany(2)
    if not rows:
        return None
    if len(rows) > 1:
        raise model.MultipleObjectsReturned(f"load_one: more than one {model.__name__}")
    row = rows[0]
    instances = []
    for part in plan.parts:
        values = list(row[part.start:part.start + len(part.attnames)])
        for i, convs, expression in part.converters:
            value = values[i]
            for converter in convs:
                value = converter(value, expression, connection)
            values[i] = value
        if part.fk is not None and values[part.pk_index] is None:
            instance = None  # a nullable key pointing nowhere, as select_related leaves it
        else:
            instance = part.model.from_db(db, part.attnames, values)
        if part.fk is not None:
            base = instances[0]
            part.fk.set_cached_value(base, instance)
            if part.fk.unique and instance is not None:
                part.fk.remote_field.set_cached_value(instance, base)
        instances.append(instance)
    return instances[0]
