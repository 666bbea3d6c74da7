"""Kept for imports; the implementation lives in ``core.workdays``."""

from core.workdays import add_working_days, add_working_days_at, is_working_day  # noqa: F401
