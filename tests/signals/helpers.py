"""Helpers shared by the signal tests."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from signals.models import Category, PupilRole, Source

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64

FACTS = "Op het schoolplein zag ik een blauwe plek op de linkerarm."


def upload(name="foto.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def form_data(rows, *, total=3, **overrides):
    """POST data for the record form; ``rows`` is a list of (pupil_or_pk, role)."""
    data = {
        "observed_on": timezone.localdate().isoformat(),
        "facts": FACTS,
        "child_words": "Papa was boos.",
        "interpretation": "Ik maak me zorgen.",
        "source": Source.OWN,
        "source_detail": "",
        "category": Category.PHYSICAL,
        "leerlingen-TOTAL_FORMS": str(total),
        "leerlingen-INITIAL_FORMS": "0",
        "leerlingen-MIN_NUM_FORMS": "0",
        "leerlingen-MAX_NUM_FORMS": "5",
    }
    for i in range(total):
        data[f"leerlingen-{i}-pupil"] = ""
        data[f"leerlingen-{i}-role"] = PupilRole.CONCERNED
    for i, (pupil, role) in enumerate(rows):
        data[f"leerlingen-{i}-pupil"] = str(getattr(pupil, "pk", pupil))
        data[f"leerlingen-{i}-role"] = role
    data.update(overrides)
    return data
