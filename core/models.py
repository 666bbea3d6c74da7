"""Building blocks shared by the case-data apps."""

from django.db import models


class ImmutableError(Exception):
    """An append-only row was about to be changed."""


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed in place (R31).

    A correction is a new row. Deletion happens only through retention (a separate,
    audited path that uses the queryset's ``_raw_delete``-free ``delete``).
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)


class LockVersionModel(models.Model):
    """Optimistic locking: a save based on an older version is a conflict, not an overwrite."""

    lock_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True
