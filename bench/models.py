"""The write floor's table (bench settings only: the app is not installed in production)."""

from django.db import models
from simple_history.models import HistoricalRecords


class FloorWrite(models.Model):
    """One short text per POST of the write floor, with its history row as every record of
    the app has: the cheapest write with an audit trail this stack can serve."""

    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
