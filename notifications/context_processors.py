"""The unread count for the notification bell in the navigation."""

from functools import cache

from .models import Notification


def unread_notifications(request):
    """``notifications_unread``: the user's unread count, counted only when a template uses it.

    At most one query per request; none for anonymous users or responses that render no
    navigation (redirects, downloads).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}

    @cache
    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"notifications_unread": count}
