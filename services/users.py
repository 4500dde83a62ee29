"""Accounts, passwords and the login rules (our own lockout; streamlit-authenticator only keeps
the session and the cookie)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import func
from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, LoginLockout, Role, Site, SiteLevel, Team, User
from services import audit, sites, validate
from services.errors import Checks, Duplicate, Forbidden, Invalid, LoginRefused, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt 5 refuses longer input
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
BCRYPT_ROUNDS = 12  # tests lower this; production keeps bcrypt's default cost
DEMO_PASSWORD = "diandan-demo"
DEMO_USERNAMES = ("manager", "officer", "lead", "leader")
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def validate_password(password: str) -> None:
    """≥ 8 characters and ≤ 72 UTF-8 bytes; no composition rules (NIST SP 800-63B)."""
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise Invalid("error.password_short", minimum=MIN_PASSWORD_CHARS)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise Invalid("error.password_long", maximum=MAX_PASSWORD_BYTES)


def hash_password(password: str) -> str:
    validate_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


_DUMMY_HASH: str | None = None


def _check(password: str, hashed: str | None) -> bool:
    """Compare in constant-ish time; an unknown user still costs one bcrypt round."""
    global _DUMMY_HASH
    if hashed is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = bcrypt.hashpw(b"no-such-user", bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
        hashed = _DUMMY_HASH
    raw = (password or "").encode("utf-8")
    if len(raw) > MAX_PASSWORD_BYTES:
        raw = raw[:MAX_PASSWORD_BYTES]  # bcrypt would raise; no stored password is this long
        bcrypt.checkpw(raw, hashed.encode())
        return False
    return bcrypt.checkpw(raw, hashed.encode())


def temporary_password() -> str:
    return secrets.token_urlsafe(9)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def to_actor(session: Session, user: User) -> Actor:
    site = session.get(Site, user.site_id)
    return Actor(id=user.id, username=user.username, display_name=user.display_name,
                 role=user.role, site_id=user.site_id, site_path=site.path, team_id=user.team_id)


def actor(session: Session, user_id: int) -> Actor | None:
    """The active user with this id as an Actor, or None."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return to_actor(session, user)


def by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == normalise_username(username))).first()


def any_exist(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


# --- login ----------------------------------------------------------------------------------


def verify_login(session: Session, *, username: str, password: str,
                 now: datetime | None = None) -> User:
    """Check a password with our lockout: 5 failures lock the name for 15 minutes, known or not."""
    now = now or utcnow()
    name = normalise_username(username)[:100]
    lock = session.get(LoginLockout, name) if name else None
    user = by_username(session, name) if name else None
    usable = user is not None and user.active
    ok = _check(password, user.password_hash if usable else None) and usable
    if lock is not None and lock.locked_until is not None:
        if lock.locked_until > now:
            session.rollback()
            raise LoginRefused()
        lock.failures, lock.locked_until = 0, None  # the cool-off is over: a fresh start
    elif lock is not None and lock.last_failure_at and now - lock.last_failure_at > LOCKOUT:
        lock.failures = 0  # old failures fade: five must fall within one cool-off window
    if ok:
        if lock is not None:
            session.delete(lock)
        audit.record(session, AuditAction.login, actor_id=user.id, target=user.username)
        session.commit()
        return user
    if name:
        lock = lock or LoginLockout(username=name)
        lock.failures += 1
        lock.last_failure_at = now
        if lock.failures >= MAX_FAILURES:
            lock.locked_until = now + LOCKOUT
        session.add(lock)
        audit.record(session, AuditAction.login_failed, actor_id=user.id if user else None,
                     target=name)
        session.commit()
    raise LoginRefused()


def cookie_user(session: Session, *, username: str, issued_at: datetime) -> User | None:
    """The user a login cookie speaks for, unless it predates a logout, a password change or a
    deactivation."""
    user = by_username(session, username)
    if user is None or not user.active or issued_at < user.sessions_valid_after:
        return None
    return user


def session_still_valid(session: Session, *, user_id: int, logged_in_at: datetime) -> bool:
    user = session.get(User, user_id)
    return bool(user and user.active and logged_in_at >= user.sessions_valid_after)


def logout(session: Session, *, user_id: int, now: datetime | None = None) -> None:
    """End every session of this user: older cookies are refused from now on."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.sessions_valid_after = now or utcnow()
    session.add(user)
    audit.record(session, AuditAction.logout, actor_id=user.id, target=user.username)
    session.commit()


def change_password(session: Session, *, user_id: int, old_password: str, new_password: str,
                    now: datetime | None = None) -> None:
    """Change one's own password; the old one must be right and the new one must differ."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(what="user")
    if not _check(old_password, user.password_hash):
        raise Invalid("error.password_wrong")
    if old_password == new_password:
        raise Invalid("error.password_same")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.sessions_valid_after = now or utcnow()
    session.add(user)
    audit.record(session, AuditAction.password_change, actor_id=user.id, target=user.username)
    session.commit()


def set_language(session: Session, *, user_id: int, language: str) -> None:
    if language not in ("zh", "en"):
        raise Invalid("error.language")
    user = session.get(User, user_id)
    if user is not None and user.language != language:
        user.language = language
        session.add(user)
        session.commit()


# --- accounts -------------------------------------------------------------------------------


def _check_username(session: Session, username: str) -> None:
    if not (3 <= len(username) <= 40) or not set(username) <= _USERNAME_CHARS:
        raise Invalid("error.username_format")
    if by_username(session, username) is not None:
        raise Duplicate("error.username_taken", username=username)


def _validate_account(session: Session, actor: Actor | None, *, username: str | None,
                      display_name: str, role: Role | None, site_id: int | None,
                      team_id: int | None, new_site: bool = False) -> None:
    """Every refusal at once. new_site: the site is made with the account (first start)."""
    check = Checks()
    if username is not None:
        check(_check_username, session, username)
    if not (display_name or "").strip() or len(display_name) > 40:
        check.fail("error.display_name")
    site = session.get(Site, site_id) if site_id else None
    if site is None and not new_site:
        check.fail("error.site_required")
    elif site is not None and actor is not None and not in_scope(actor, site.path):
        raise Forbidden(action=Action.MANAGE_USERS.value)
    if role == Role.team_lead:
        team = session.get(Team, team_id) if team_id else None
        if team is None:
            check.fail("error.team_required")
        elif actor is not None and not in_scope(actor, session.get(Site, team.site_id).path):
            raise Forbidden(action=Action.MANAGE_USERS.value)
    elif role is None:
        check.fail("error.role_required")
    check.done()


def create_first_manager(session: Session, *, centre_name: str, level: SiteLevel, username: str,
                         display_name: str, password: str) -> User:
    """Set up an empty installation: its top site and the first manager, with their own password."""
    if any_exist(session) or sites.any_exist(session):
        raise Forbidden(action="setup")
    if level not in (SiteLevel.center, SiteLevel.station):
        raise Invalid("error.site_level")
    username = normalise_username(username)
    # Every field of the setup form is checked before anything is written, and every refusal
    # is reported at once, named by the field's label.
    check = Checks()
    check(validate.text, centre_name, key="centre_name", maximum=sites.MAX_NAME)
    check(_validate_account, session, None, username=username, display_name=display_name,
          role=Role.manager, site_id=None, team_id=None, new_site=True)
    check(validate_password, password)
    check.done()
    site = sites.create(session, name=centre_name, level=level, commit=False)
    user = User(username=username, display_name=display_name.strip(), role=Role.manager,
                site_id=site.id, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, AuditAction.setup, actor_id=user.id, target=username)
    session.commit()
    return user


def create(session: Session, *, actor: Actor, username: str, display_name: str, role: Role,
           site_id: int, team_id: int | None = None, phone: str = "",
           password: str | None = None) -> tuple[User, str]:
    """Add an account with a temporary password that must be changed at first login."""
    ensure_allowed(actor, Action.MANAGE_USERS)
    username = normalise_username(username)
    _validate_account(session, actor, username=username, display_name=display_name, role=role,
                      site_id=site_id, team_id=team_id)
    temp = password or temporary_password()
    user = User(username=username, display_name=display_name.strip(), role=role, site_id=site_id,
                team_id=team_id if role == Role.team_lead else None, phone=(phone or "").strip(),
                password_hash=hash_password(temp), must_change_password=password is None)
    session.add(user)
    session.flush()
    audit.record(session, AuditAction.user_create, actor_id=actor.id, target=username,
                 detail=f"role={role.value} site={site_id}")
    session.commit()
    return user, temp


def _managed(session: Session, actor: Actor, user_id: int) -> User:
    ensure_allowed(actor, Action.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(what="user")
    ensure_allowed(actor, Action.MANAGE_USERS, site_path=session.get(Site, user.site_id).path)
    return user


def update(session: Session, *, actor: Actor, user_id: int, display_name: str, role: Role,
           site_id: int, team_id: int | None = None, phone: str = "") -> User:
    """Edit an account in the manager's subtree; a manager cannot demote themself."""
    user = _managed(session, actor, user_id)
    if user.id == actor.id and role != Role.manager:
        raise Invalid("error.cannot_demote_self")
    _validate_account(session, actor, username=None, display_name=display_name, role=role,
                      site_id=site_id, team_id=team_id)
    user.display_name, user.role, user.site_id = display_name.strip(), role, site_id
    user.team_id = team_id if role == Role.team_lead else None
    user.phone = (phone or "").strip()
    user.sessions_valid_after = utcnow()  # a new role or site means a new login
    session.add(user)
    audit.record(session, AuditAction.user_update, actor_id=actor.id, target=user.username,
                 detail=f"role={role.value} site={site_id} team={team_id}")
    session.commit()
    return user


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate (ending its sessions) or reactivate an account; never one's own."""
    user = _managed(session, actor, user_id)
    if user.id == actor.id:
        raise Invalid("error.cannot_deactivate_self")
    user.active = active
    if not active:
        user.sessions_valid_after = utcnow()
    session.add(user)
    audit.record(session, AuditAction.user_activate if active else AuditAction.user_deactivate,
                 actor_id=actor.id, target=user.username)
    session.commit()
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """Give an account a new temporary password; its sessions end."""
    user = _managed(session, actor, user_id)
    temp = temporary_password()
    user.password_hash = hash_password(temp)
    user.must_change_password = True
    user.sessions_valid_after = utcnow()
    session.add(user)
    audit.record(session, AuditAction.user_reset_password, actor_id=actor.id, target=user.username)
    session.commit()
    return temp


def page(session: Session, *, actor: Actor, offset: int = 0,
         limit: int = 50) -> tuple[list[dict], int]:
    """Accounts in the manager's subtree, a page at a time, with site and team names."""
    ensure_allowed(actor, Action.MANAGE_USERS)
    base = (select(User, Site.name, Team.name).join(Site, Site.id == User.site_id)
            .join(Team, Team.id == User.team_id, isouter=True)
            .where(Site.path.startswith(actor.site_path)))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(base.order_by(User.active.desc(), User.role, User.username)
                        .offset(offset).limit(limit)).all()
    return [{"id": u.id, "username": u.username, "display_name": u.display_name,
             "role": u.role.value, "site": site_name, "site_id": u.site_id,
             "team": team_name or "", "team_id": u.team_id, "phone": u.phone,
             "active": u.active, "must_change_password": u.must_change_password}
            for u, site_name, team_name in rows], total


def demo_accounts_active(session: Session) -> bool:
    """True while any demo account (seeded with the public demo password) is still active."""
    return session.exec(select(func.count()).select_from(User).where(
        User.username.in_(DEMO_USERNAMES), User.active)).one() > 0
