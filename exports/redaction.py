"""Leaving out and blacking out parts of the inzage copy (AVG art. 15(4), R33, R37).

A redaction names an entry by model label and id, and optionally one field of it. Applying
one *removes the text from the data* before the template sees it, so nothing redacted ever
reaches the HTML or the PDF (a black box drawn over text would leave the text extractable).
The copy shows where something was left out and the recorded reason.

Automatic, always applied: the names of other pupils in a signal (third parties). When the
request leaves out staff names: every field that names staff (authors, chairs, attendees) is
blacked out, and the full names of the school's staff are replaced wherever else they occur
(lists of participants, free text). Nicknames ("juf Anna") still need a redaction by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .sections import Chapter, Entry, Field

#: Fields left out of every inzage copy, with the reason shown in it.
AUTOMATIC = {
    ("signals.signal", "other_pupils"): lambda: _(
        "gegevens van andere leerlingen (AVG artikel 15 lid 4)"),
}


@dataclass
class Redactions:
    by_key: dict[tuple[str, int, str], str]
    staff_names_reason: str = ""
    # Full names of the school's (and board's) staff, replaced wherever they occur in the
    # text when the copy leaves out staff names: lists of participants name staff too.
    staff_names: list[str] = field(default_factory=list)

    @classmethod
    def for_request(cls, access_request) -> Redactions:
        rows = access_request.redactions.values_list("object_type", "object_id", "field",
                                                    "reason")
        reason = access_request.staff_names_reason if access_request.redact_staff_names else ""
        return cls({(t, i, f): r for t, i, f, r in rows}, reason,
                   staff_names_of(access_request.school) if reason else [])

    def __post_init__(self):
        names = sorted({n for n in self.staff_names if n.strip()}, key=len, reverse=True)
        self._pattern = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
                         if names else None)

    def scrub(self, text: str) -> str:
        """``text`` with every staff member's full name replaced."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(_("[naam medewerker]"), text)


def staff_names_of(school) -> list[str]:
    """Full names of everyone who held a role at ``school`` or its board (also in the past).
    One query."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    users = (get_user_model().objects
             .filter(Q(memberships__school_id=school.pk)
                     | Q(memberships__school__isnull=True,
                         memberships__board_id=school.board_id))
             .distinct().values_list("first_name", "last_name"))
    return [f"{first} {last}".strip() for first, last in users if (first or last)]


def _redact_field(entry: Entry, f: Field, redactions: Redactions) -> None:
    reason = redactions.by_key.get((entry.object_type, entry.object_id, f.name))
    if reason is None and (entry.object_type, f.name) in AUTOMATIC:
        reason = AUTOMATIC[(entry.object_type, f.name)]()
    if reason is None and f.person and redactions.staff_names_reason:
        reason, f.staff_name = redactions.staff_names_reason, True
    if reason is not None:
        f.value, f.note, f.redacted = "", "", reason
    elif redactions.staff_names_reason:
        f.value, f.note = redactions.scrub(f.value), redactions.scrub(f.note)
    if f.by and redactions.staff_names_reason:
        f.by, f.by_redacted = "", True


def redact_entry(entry: Entry, redactions: Redactions) -> None:
    if entry.always_in_copy:
        # A parents' own statement (R39) is never left out nor blacked out; only the staff
        # names option still applies (the author, and staff names in the text).
        if redactions.staff_names_reason:
            entry.title = redactions.scrub(entry.title)
            if entry.author:
                entry.author, entry.author_redacted = "", True
            for f in entry.fields:
                f.value, f.note = redactions.scrub(f.value), redactions.scrub(f.note)
        return
    whole = redactions.by_key.get((entry.object_type, entry.object_id, ""))
    if whole is not None:
        entry.omitted = whole
        entry.title = _("Weggelaten onderdeel")
        entry.fields, entry.children, entry.tags = [], [], []
        entry.author, entry.moment, entry.step_label = "", None, ""
        return
    if redactions.staff_names_reason:
        entry.title = redactions.scrub(entry.title)
        if entry.author:
            entry.author, entry.author_redacted = "", True
    for f in entry.fields:
        _redact_field(entry, f, redactions)
    for child in entry.children:
        redact_entry(child, redactions)


def apply(chapters: Iterable[Chapter], redactions: Redactions) -> None:
    """Apply the redactions in place to every entry of ``chapters``."""
    for chapter in chapters:
        for section in chapter.sections:
            for entry in section.entries:
                redact_entry(entry, redactions)


def walk(chapters: Iterable[Chapter]) -> Iterator[tuple[Chapter, object, Entry]]:
    """(chapter, section, entry) for every entry and child entry, in document order."""
    for chapter in chapters:
        for section in chapter.sections:
            for entry in section.entries:
                yield chapter, section, entry
                for child in entry.children:
                    yield chapter, section, child


def redactable_entries(chapters) -> dict[tuple[str, int], dict]:
    """Every entry of the copy by key, with the fields that can be blacked out (name ->
    label), merged over the places the entry appears (a record and its row in a table).
    Field names starting with "_" are derived cells of a table (date, kind): they are
    covered by leaving out the whole entry, or by the staff-names option. Entries that are
    always in the copy (a parents' own statement, R39) are not offered."""
    out: dict[tuple[str, int], dict] = {}
    for chapter, section, entry in walk(chapters):
        if entry.always_in_copy:
            continue
        item = out.setdefault(entry.key, {"entry": entry, "chapter": chapter,
                                          "section": section, "fields": {}})
        for f in entry.fields:
            if not f.name.startswith("_"):  # derived cells (dates, kinds) are not fields
                item["fields"].setdefault(f.name, f.label)
    return out
