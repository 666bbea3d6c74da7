"""The unread count for the notification bell in the navigation."""

from functools import cache

from core import sharedcache

from .models import UNREAD_CACHE, UNREAD_TTL, Notification


def unread_notifications(request):
    """``notifications_unread``: the user's unread count, counted only when a template uses it.

    At most one query per request; none for anonymous users or responses that render no
    navigation (redirects, downloads). With a shared cache the count is kept there across
    requests, ended by every write of the user's notifications (``models.invalidate_unread``).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}

    @cache
    def count() -> int:
        return sharedcache.get_or_compute(
            UNREAD_CACHE, user.pk,
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count(),
            UNREAD_TTL, holder=user)

    return {"notifications_unread": count}
