"""Limits and checks every typed text shares, in one place.

Each model field that stores free text takes its `max_length` from here, and each form
field for it the same number, so a page, the admin and the CSV roster import all refuse
the same text with the same message (Django's says the limit in characters).
"""

import unicodedata

from django.core.exceptions import ValidationError

NAME_MAX = 200  # names and titles: a person, a contract, an organization, a file
SHORT_TEXT_MAX = 2_000  # a reason, a note, a justification
LONG_TEXT_MAX = 10_000  # a description, a question or answer, minutes of a meeting
EMAIL_MAX = 254  # what the users table holds (RFC 5321's path limit)

# Format (Cf) and control (Cc) characters, and line and paragraph separators: the
# bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), zero-width
# characters (U+200B–U+200D, U+2060, U+FEFF) and the like. None shows on a page, and some
# reorder what does, so a name can look like another one.
INVISIBLE_CATEGORIES = {"Cf", "Cc", "Zl", "Zp"}

INVISIBLE_MESSAGE = (
    "%(subject)s has an invisible or text-direction control character (%(found)s), which "
    "can make it look like something else. Type it again without it (retype any part "
    "pasted from elsewhere)."
)


def invisible_characters(value: str) -> str:
    """The invisible characters in `value`, e.g. 'U+202E RIGHT-TO-LEFT OVERRIDE', or ''."""
    found = dict.fromkeys(c for c in value or "" if unicodedata.category(c)
                          in INVISIBLE_CATEGORIES)
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'CONTROL CHARACTER')}"
                     for c in found)


def refuse_invisible_characters(value: str) -> None:
    """For names, emails, HARP IDs and contract numbers: visible characters only."""
    found = invisible_characters(value)
    if found:
        raise ValidationError(INVISIBLE_MESSAGE, code="invisible_character",
                              params={"subject": "This", "found": found})


# For a field's `validators=`: Django copies the list, so fields may share it.
VISIBLE_ONLY = [refuse_invisible_characters]


def checked_reason(reason: str, why: str, error: type[Exception]) -> str:
    """The reason a person gives for a change of status (withdraw, cancel, reopen, send
    back, reject, undo): required, and at most SHORT_TEXT_MAX characters. The form says so
    first; this holds for every caller, raising the caller's own `error`."""
    reason = reason.strip()
    if not reason:
        raise error(f"Give the reason: {why}")
    if len(reason) > SHORT_TEXT_MAX:
        raise error(f"The reason can be at most {SHORT_TEXT_MAX:,} characters; it has "
                    f"{len(reason):,}. Nothing was changed.")
    return reason

