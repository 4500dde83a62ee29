"""Small input rules shared by several services. Each raises Invalid with a message key."""

from __future__ import annotations

import re

from services.errors import Invalid

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def text(value: str | None, *, key: str, maximum: int, required: bool = True) -> str:
    """Trimmed text within a length; the key names the field in the message."""
    value = (value or "").strip()
    if required and not value:
        raise Invalid("error.required", field=key)
    if len(value) > maximum:
        raise Invalid("error.too_long", field=key, maximum=maximum)
    return value


def phone(value: str | None, *, required: bool = False) -> str:
    value = (value or "").strip().replace(" ", "")
    if not value and not required:
        return ""
    if not _PHONE.match(value):
        raise Invalid("error.phone_format")
    return value


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
