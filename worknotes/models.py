"""Private working notes (werkaantekeningen, R32): one staff member's own, temporary notes on
a case, seen by nobody else.

Why they look like this (domain.md §7, E21e): personal working notes stay outside the file,
and outside the parents' right of access, only while they are *temporary and unshared*; case
law narrows even that. So:

- **Private**: only the owner ever reads or changes a note, through ``worknotes.views``; no
  director, IB'er or superuser sees it in the app (there is no admin page for it either).
- **Temporary**: a note expires (``selectors.expires_at``) and the beat task
  ``worknotes.tasks.expire_work_notes`` deletes it; the owner sees the date.
- **No history table** (no django-simple-history): a history of a private note would be a
  hidden copy of text the owner deleted or shared, kept beyond its expiry, outside the
  file and outside the parents' access: exactly what may not exist. What *is* recorded, in
  the case's access log (``cases.AccessLog``, ids only, never the text), is that a note was
  made, shared, deleted or expired, and by/for whom.
- **Shared** notes stop being notes: ``services.work_note_share`` turns the text into a
  ``cases.CaseNote`` (an "aantekening" in the file, with history, authored by the owner)
  and deletes the note.
- ``lock_version`` catches the owner's own concurrent edits (two tabs, two devices).

Deleting or purging the case deletes its notes (``on_delete=CASCADE``; the retention purge
collects every row that points at the case).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import LockVersionModel


class WorkNote(LockVersionModel):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="work_notes",
                             verbose_name=_("dossier"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="work_notes", verbose_name=_("van"))
    text = models.TextField(_("werkaantekening"))
    created_at = models.DateTimeField(_("gemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("laatst gewijzigd op"), auto_now=True)

    class Meta:
        verbose_name = _("werkaantekening")
        verbose_name_plural = _("werkaantekeningen")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["case", "owner"]),
                   models.Index(fields=["updated_at"])]

    def __str__(self):
        # Never the text: a note's str may end up in a log line or an error page.
        return str(_("Werkaantekening %(pk)s") % {"pk": self.pk})
