"""Business settings: defaults from core.config, overrides stored in the Setting table."""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from core.config import BUSINESS_DEFAULTS, BUSINESS_SETTINGS
from core.db import utcnow
from models import AuditAction, Setting
from services import audit
from services.errors import Invalid
from services.permissions import Action, Actor, ensure_allowed

_SPECS = {s.key: s for s in BUSINESS_SETTINGS}


def current(session: Session) -> dict:
    values = dict(BUSINESS_DEFAULTS)
    for row in session.exec(select(Setting)):
        spec = _SPECS.get(row.key)
        if spec is not None:
            try:
                values[row.key] = spec.kind(row.value)
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
        if key == "timezone":
            try:
                ZoneInfo(str(value))
            except (ZoneInfoNotFoundError, ValueError):
                raise Invalid("error.setting_timezone", value=str(value)) from None
        return value
    # Written so that NaN, which compares false with everything, is out of range too.
    if (spec.minimum is not None and not value >= spec.minimum) or (
            spec.maximum is not None and not value <= spec.maximum):
        raise Invalid("error.setting_range", setting=key, minimum=spec.minimum,
                      maximum=spec.maximum)
    return value


def _base_url(value: str) -> str:
    """Empty, or an http(s) address without spaces, query or fragment; stored without the
    trailing slash so that links are `<address>/?rate=…`."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
            or parts.fragment or any(c.isspace() for c in value) or len(value) > 200):
        raise Invalid("error.setting_base_url")
    return value


def update(session: Session, *, actor: Actor, values: dict) -> dict:
    """Change business settings; managers only; all or nothing."""
    ensure_allowed(actor, Action.MANAGE_SETTINGS)
    clean = {k: _coerce(k, v) for k, v in values.items()}
    merged = {**current(session), **clean}
    stars = [merged[f"star_{i}_hours"] for i in range(1, 6)]
    if any(a >= b for a, b in zip(stars, stars[1:], strict=False)):
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
    result = current(session)
    session.commit()
    return result


def star_level(hours: float, values: dict) -> int:
    """Stars 0–5 for cumulative hours, by the configured thresholds."""
    return sum(1 for i in range(1, 6) if hours >= values[f"star_{i}_hours"])
