"""Business settings: defaults from core.config, overrides stored in the Setting table."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session, select

from core.config import BUSINESS_DEFAULTS, BUSINESS_SETTINGS
from core.db import utcnow
from models import AuditAction, Setting
from services import audit, order_facts, repeats, rollups, stars, validate
from services.errors import Invalid
from services.permissions import Action, Actor, ensure_allowed

_SPECS = {s.key: s for s in BUSINESS_SETTINGS}
_READ = select(Setting.key, Setting.value)


def current(session: Session) -> dict:
    """The settings in force, read once per transaction (a completion needs them for the
    rollups, the points and the follow-ups); `update` forgets them."""
    txn = session.get_transaction()
    kept = session.info.get("settings")
    if txn is None or kept is None or kept[0] is not txn:
        kept = (txn, _read(session))
        session.info["settings"] = kept
    return dict(kept[1])


def timezone(session: Session) -> str:
    return current(session)["timezone"]


def _read(session: Session) -> dict:
    values = dict(BUSINESS_DEFAULTS)
    # Key and value only, as plain rows: every transaction reads them, objects are not needed.
    session.flush()  # as the ORM read did (update reads back the rows it has just added)
    for key, value in session.connection().execute(_READ):
        spec = _SPECS.get(key)
        if spec is not None:
            try:
                values[key] = spec.kind(value)
            except ValueError:
                pass  # a hand-edited bad value falls back to the default
    return values


def _coerce(key: str, raw) -> object:
    spec = _SPECS.get(key)
    if spec is None:
        raise Invalid("error.setting_unknown", setting=key)
    # int(2.5) would silently store 2 and int(True) 1: refuse them, as validate.whole does.
    if spec.kind is int and (isinstance(raw, bool) or
                             (isinstance(raw, float) and not raw.is_integer())):
        raise Invalid("error.setting_type", setting=key)
    try:
        value = spec.kind(raw)
    except (TypeError, ValueError, OverflowError):
        raise Invalid("error.setting_type", setting=key) from None
    if spec.kind is str:
        if key == "public_base_url":
            return _base_url(str(value))
        if key in CERTIFICATE_TEXTS:
            return _certificate_text(key, str(value))
        if key == "timezone":
            return _timezone(str(value))
        return value
    # Written so that NaN, which compares false with everything, is out of range too.
    if (spec.minimum is not None and not value >= spec.minimum) or (
            spec.maximum is not None and not value <= spec.maximum):
        raise Invalid("error.setting_range", setting=key, minimum=spec.minimum,
                      maximum=spec.maximum)
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(value: str) -> str:
    """An IANA zone name from the system's list. Asked of ZoneInfo directly, "Asia" (a folder)
    raises IsADirectoryError and a 90-character name "file name too long"."""
    value = value.strip()
    known = _zones()
    try:
        if (known and value not in known) or not value:
            raise ValueError(value)
        ZoneInfo(value)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # OSError: a folder, a long name
        raise Invalid("error.setting_timezone", value=value[:60]) from None
    return value


CERTIFICATE_TEXTS = ("certificate_body", "certificate_head", "certificate_phone")


def _certificate_text(key: str, value: str) -> str:
    """What a certificate prints: trimmed, within the certificate's field lengths; the contact
    a telephone number."""
    if key == "certificate_phone":
        return validate.phone(value)
    return validate.text(value, key=key, maximum=100 if key == "certificate_body" else 40,
                         required=False)


def _base_url(value: str) -> str:
    """Empty, or an http(s) address without spaces, query or fragment; stored without the
    trailing slash so that links are `<address>/?rate=…`."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    try:
        value = validate.clean(value, key="public_base_url")
        parts = urlsplit(value)
        host, _port = parts.hostname, parts.port  # "http://[" or a bad port raise ValueError
    except (Invalid, ValueError):
        raise Invalid("error.setting_base_url") from None
    if (parts.scheme not in ("http", "https") or not host or parts.query
            or parts.fragment or any(c.isspace() for c in value) or len(value) > 200):
        raise Invalid("error.setting_base_url")
    return value


def update(session: Session, *, actor: Actor, values: dict) -> dict:
    """Change business settings; managers only; all or nothing."""
    ensure_allowed(actor, Action.MANAGE_SETTINGS)
    clean = {k: _coerce(k, v) for k, v in values.items()}
    session.info.pop("settings", None)
    before = current(session)
    merged = {**before, **clean}
    needs = [merged[f"star_{i}_hours"] for i in range(1, 6)]
    if any(a >= b for a, b in zip(needs, needs[1:], strict=False)):
        raise Invalid("error.stars_not_increasing")
    if sum(merged[k] for k in merged if k.startswith("weight_")) <= 0:
        raise Invalid("error.weights_all_zero")
    if sum(merged[k] for k in merged if k.startswith("score_weight_")) <= 0:
        raise Invalid("error.score_weights_all_zero")
    now = utcnow()
    changed = []
    for key, value in clean.items():
        row = session.get(Setting, key)
        if row is None:
            row = Setting(key=key, value=str(value))
        elif row.value == str(value):
            continue
        row.value, row.updated_at, row.updated_by_id = str(value), now, actor.id
        session.add(row)
        changed.append(f"{key}={value}")
    if changed:
        audit.record(session, AuditAction.settings_update, actor_id=actor.id,
                     detail="; ".join(changed))
    session.info.pop("settings", None)
    result = current(session)
    _recount(session, before, result)
    session.commit()
    return result


def _recount(session: Session, before: dict, result: dict) -> None:
    """What a changed setting makes stale, recomputed in the update's transaction."""
    if result["timezone"] != before["timezone"]:
        # The rollups' days and months are local: recount them in the new zone, in this
        # transaction, so no figure is ever read in a mix of two zones.
        rollups.rebuild(session, tz=result["timezone"])
        order_facts.rebuild(session, tz=result["timezone"])  # on time is by the local day
    if result["repeat_days"] != before["repeat_days"]:
        # Which orders were repeated depends on the window: mark them again in this
        # transaction (services/repeats.py).
        repeats.rebuild(session, repeat_days=result["repeat_days"])
    if stars.thresholds(result) != stars.thresholds(before):
        # Who reached which star when depends on the thresholds: recount every volunteer's
        # moments in this transaction (services/stars.py).
        stars.rebuild(session, values=result)


def star_level(hours: float, values: dict) -> int:
    """Stars 0–5 for cumulative hours, by the configured thresholds."""
    return sum(1 for i in range(1, 6) if hours >= values[f"star_{i}_hours"])
