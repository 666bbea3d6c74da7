"""Checks on uploaded attachments: the type is read from the file's content, never its name.

A file renamed to ``.pdf`` is still whatever its first bytes say it is. Only JPEG, PNG and
PDF are accepted; anything else (scripts, HTML, executables, office files with macros) is
refused before it reaches storage.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024  # 10 MB per file
MAX_ATTACHMENTS = 5  # per signal

# Leading bytes ("magic numbers") of the accepted formats, with the type we store and serve.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
]
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def sniff_content_type(file) -> str | None:
    """The accepted content type the file's first bytes announce, or ``None``.

    Leaves the file positioned at its start.
    """
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def validate_attachment(file) -> str:
    """Raise ``ValidationError`` (Dutch) unless ``file`` is an accepted type and size.

    Returns the content type read from the file.
    """
    name = getattr(file, "name", "") or _("bestand")
    size = getattr(file, "size", None)
    if not size:
        raise ValidationError(_("Het bestand %(name)s is leeg.") % {"name": name}, code="empty")
    if size > MAX_ATTACHMENT_SIZE:
        raise ValidationError(
            _("Het bestand %(name)s is groter dan 10 MB.") % {"name": name}, code="too_big")
    content_type = sniff_content_type(file)
    if content_type is None:
        raise ValidationError(
            _("Het bestand %(name)s is geen foto (JPEG of PNG) of PDF. Alleen die soorten "
              "bestanden kunnen als bijlage worden toegevoegd.") % {"name": name},
            code="bad_type")
    return content_type


def validate_attachment_count(files) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            _("U kunt maximaal %(max)s bijlagen toevoegen.") % {"max": MAX_ATTACHMENTS},
            code="too_many")
