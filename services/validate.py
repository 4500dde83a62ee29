"""Small input rules shared by every service. Each raises Invalid with a message key.

**One text rule for every free-text field** (`clean`, through `text`): Unicode NFC (so "é" typed
two ways is one string and its length is what the user sees), a pasted BOM or zero-width space
dropped, tabs become spaces, "\\r\\n" becomes "\\n", trimmed, and refused when it still holds a
control character (a line break only in the fields of `MULTILINE`), a bidirectional override
(which can make "2.pdf.exe" read as "2.exe.fdp") or half of a surrogate pair (which no database
can store). Lengths are counted in characters after cleaning.

**Phone numbers are ASCII digits**: full-width digits and dashes (from a Chinese input method) are
converted; any other digit (Python's `\\d` accepts "੬" and "᪐") is refused.
"""

from __future__ import annotations

import re
import unicodedata

from services.errors import Invalid

# Only ASCII digits: [0-9], never \d, which matches every script's digits.
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$", re.ASCII)
_PHONE_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                              "\uff0d": "-", "\u2014": "-", "\u2013": "-", "\u3000": " "})

# The fields whose text may hold line breaks (text areas); every other field is one line.
MULTILINE = frozenset({"description", "note", "outcome", "need_text", "comment", "reason",
                       "skills"})
# Directional formatting characters (Unicode's Bidi_Control property).
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROPPED = str.maketrans({"\ufeff": None, "\u200b": None, "\t": " "})


def clean(value: str | None, *, key: str = "text", multiline: bool | None = None) -> str:
    """The text as it is stored: NFC, without BOM or zero-width space, trimmed; Invalid
    ("hygiene.characters") when a control, bidi or surrogate character remains."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("hygiene.characters", field=key)
    lines = key in MULTILINE if multiline is None else multiline
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_DROPPED)
    for ch in value:
        if ch in BIDI or (ch == "\n" and not lines) or (
                ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs")):
            raise Invalid("hygiene.characters", field=key)
    value = unicodedata.normalize("NFC", value).strip()
    if lines:
        value = "\n".join(line.rstrip() for line in value.split("\n"))
    return value


def text(value: str | None, *, key: str, maximum: int, required: bool = True) -> str:
    """Cleaned text (see `clean`) within a length in characters; the key names the field."""
    value = clean(value, key=key)
    if required and not value:
        raise Invalid("error.required", field=key)
    if len(value) > maximum:
        raise Invalid("error.too_long", field=key, maximum=maximum)
    return value


def phone(value: str | None, *, required: bool = False) -> str:
    """A mainland mobile (11 digits) or a landline with its area code, in ASCII digits."""
    if value is not None and not isinstance(value, str):
        raise Invalid("error.phone_format")
    value = (value or "").translate(_PHONE_WIDTH).strip().replace(" ", "")
    if not value and not required:
        return ""
    if not _PHONE.match(value):
        raise Invalid("error.phone_format")
    return value


def flag(value, *, key: str) -> bool:
    """A yes/no as a real bool; anything else ('' or 1 from a hostile caller) is refused, not
    guessed (a boolean column would raise on it)."""
    if isinstance(value, bool):
        return value
    raise Invalid("error.invalid", field=key)


def whole(value, *, key: str, minimum: int = 0, maximum: int = 1_000_000) -> int:
    """A whole number within a range; 2.5 or "abc" is refused rather than rounded."""
    if isinstance(value, bool):
        raise Invalid("error.number", field=key)
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid("error.number", field=key)
        value = int(value)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid("error.number", field=key) from None
    if not minimum <= number <= maximum:
        raise Invalid("error.number_range", field=key, minimum=minimum, maximum=maximum)
    return number
