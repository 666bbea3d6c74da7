from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.tasks import send_plain_email

from .models import Notification


def notify(*, users, kind: str, url: str, school=None, obj=None, email: bool = True) -> list:
    """Create one in-app notification per user and, after commit, a content-free e-mail."""
    rows = [Notification(user=u, kind=kind, url=url, school=school,
                         object_type=obj._meta.label_lower if obj is not None else "",
                         object_id=getattr(obj, "pk", None)) for u in users]
    Notification.objects.bulk_create(rows)
    if email:
        for row in rows:
            if row.user.email:
                body = _("%(text)s\n\nBekijk het in Meldcode: %(link)s\n\n"
                         "Deze e-mail bevat bewust geen inhoud over leerlingen.") % {
                    "text": row.get_kind_display(), "link": settings.MELDCODE_BASE_URL + url}
                transaction.on_commit(lambda r=row, b=body: send_plain_email.delay(
                    _("Meldcode: er staat iets voor u klaar"), b, [r.user.email]))
    return rows
