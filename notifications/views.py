"""The user's own notifications: list, open (mark read and follow the link), mark all read.

Notifications of other users answer 404. Marking read is a POST.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Notification

PAGE_SIZE = 25


@login_required
def notification_list(request):
    own = Notification.objects.filter(user=request.user)
    page = Paginator(own.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("pagina"))
    has_unread = own.filter(read_at__isnull=True).exists()
    return render(request, "notifications/notification_list.html",
                  {"page": page, "has_unread": has_unread})


def _safe_target(request, url: str) -> bool:
    # Notification URLs are paths we built ourselves; refuse anything that leaves the site.
    return url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notification read; with ``open`` in the form, go to what it points at."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    if request.POST.get("open") and _safe_target(request, notification.url):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    # Notification has no change history, so a bulk update loses nothing.
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now())
    return redirect("notifications:list")
