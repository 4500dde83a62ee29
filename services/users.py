"""Accounts, passwords and the login rules (our own lockout; streamlit-authenticator only keeps
the session and the cookie)."""

from __future__ import annotations

import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from core.db import enum_order, unseen_write, utcnow
from models import AuditAction, LoginLockout, Role, Site, SiteLevel, Team, User
from services import audit, sites, validate
from services.errors import Checks, Duplicate, Forbidden, Invalid, LoginRefused, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt 5 refuses longer input
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
BCRYPT_ROUNDS = 12  # tests lower this; production keeps bcrypt's default cost
ANY_CLIENT = ""  # the lockout row of an unknown name stands for every client


def _lower_priority() -> None:
    # Linux gives each thread its own nice value: only this worker's hashing yields the CPU to
    # the writers when the machine is busy (a thread cannot raise it back, so it stays alone).
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


# Login hashes are checked one at a time per process, by one low-priority worker thread: a flood
# of logins then takes at most one core, and only what the writers leave; a real login waits its
# turn behind the flood instead of failing.
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="login-hash",
                             initializer=_lower_priority)
DEMO_PASSWORD = "diandan-demo"
DEMO_USERNAMES = ("manager", "officer", "lead", "leader")
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def validate_password(password: str) -> None:
    """≥ 8 characters and ≤ 72 UTF-8 bytes; no composition rules (NIST SP 800-63B)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise Invalid("error.password_short", minimum=MIN_PASSWORD_CHARS)
    if _utf8(password) is None:
        raise Invalid("hygiene.characters", field="password")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise Invalid("error.password_long", maximum=MAX_PASSWORD_BYTES)


def hash_password(password: str) -> str:
    validate_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


_DUMMY_HASH: str | None = None


def _utf8(password) -> bytes | None:
    if password is None:
        return b""
    if not isinstance(password, str):
        return None
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _check(password: str, hashed: str | None) -> bool:
    """Compare in constant-ish time; an unknown user still costs one bcrypt round."""
    global _DUMMY_HASH
    if hashed is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = bcrypt.hashpw(b"no-such-user", bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
        hashed = _DUMMY_HASH
    raw = _utf8(password)
    if raw is None:  # not text, or half a surrogate pair: no stored password is like that
        bcrypt.checkpw(b"", hashed.encode())
        return False
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


def _lock_key(name: str, client: str, known: bool) -> tuple[str, str]:
    """Failures of a known account count per client, so a guesser elsewhere locks out only
    themself; an unknown name has one row for every client (bounded: one per name)."""
    if not known:
        return name, ANY_CLIENT
    # An address or a session id: printable ASCII. A header is the client's to write.
    client = "".join(ch for ch in str(client or "") if " " < ch <= "~")
    return name, client[:64]


def _login_state(session: Session, name: str, client: str) -> tuple[int | None, str | None,
                                                                    tuple[str, str], bool]:
    """What a login needs to know, read before the hash: user id, usable hash, lock key, locked."""
    user = by_username(session, name) if name else None
    key = _lock_key(name, client, user is not None)
    lock = session.get(LoginLockout, key) if name else None
    usable = user is not None and user.active
    return (user.id if user else None, user.password_hash if usable else None, key,
            lock is not None and lock.locked_until is not None)


def _locked(lock: LoginLockout | None, now: datetime) -> bool:
    return lock is not None and lock.locked_until is not None and lock.locked_until > now


def _refresh(lock: LoginLockout | None, now: datetime) -> None:
    """A lock whose cool-off is over starts afresh; old failures fade: five must fall within
    one cool-off window."""
    if lock is None:
        return
    if lock.locked_until is not None:
        lock.failures, lock.locked_until = 0, None
    elif lock.last_failure_at and now - lock.last_failure_at > LOCKOUT:
        lock.failures = 0


def _record_failure(session: Session, lock: LoginLockout | None, key: tuple[str, str],
                    user_id: int | None, now: datetime) -> None:
    lock = lock or LoginLockout(username=key[0], client=key[1])
    lock.failures += 1
    lock.last_failure_at = now
    if lock.failures >= MAX_FAILURES:
        lock.locked_until = now + LOCKOUT
    session.add(lock)
    _forget_old_lockouts(session, now)
    if user_id is not None:
        audit.record(session, AuditAction.login_failed, actor_id=user_id, target=key[0],
                     detail=f"client={key[1]}" if key[1] else "")
    else:
        audit.count(session, AuditAction.login_failed, target=key[0], at=now)


def verify_login(session: Session, *, username: str, password: str, client: str = "",
                 now: datetime | None = None) -> User:
    """Check a password with our lockout: 5 failures within 15 minutes lock this client out of
    this account for 15 minutes (an unknown name: every client). The hash is checked with no
    transaction open, so a login — even a flood of them — never holds the write lock."""
    now = now or utcnow()
    try:
        name = validate.clean(normalise_username(username), key="username")[:100]
    except Invalid:
        name = ""  # a name no account can have: refused like any other, nothing recorded
    user_id, hashed, key, maybe_locked = _login_state(session, name, client)
    session.rollback()  # end the read: nothing is held while bcrypt runs
    if maybe_locked:
        locked = _locked(session.get(LoginLockout, key), now)
        session.rollback()
        if locked:
            raise LoginRefused()  # refused at once: no hash, no row, the lock is not extended
    ok = _HASHER.submit(_check, password, hashed).result() and hashed is not None
    if not name:
        raise LoginRefused()
    # The write: a short transaction that only records the outcome.
    lock = session.get(LoginLockout, key)
    if _locked(lock, now):  # locked by another attempt while this one was hashing
        session.rollback()
        raise LoginRefused()
    _refresh(lock, now)
    if not ok:
        _record_failure(session, lock, key, user_id, now)
        unseen_write(session)  # a lockout and an audit row: no kept figure reads them
        session.commit()
        raise LoginRefused()
    if lock is not None:
        session.delete(lock)
    user = session.get(User, user_id)
    audit.record(session, AuditAction.login, actor_id=user.id, target=user.username)
    unseen_write(session)
    session.commit()
    return user


def _forget_old_lockouts(session: Session, now: datetime) -> None:
    """Rows whose failures have faded and whose lock is over say nothing: drop them, so the
    table holds only the last 15 minutes' guessers."""
    session.exec(delete(LoginLockout).where(
        LoginLockout.last_failure_at < now - LOCKOUT,
        or_(LoginLockout.locked_until.is_(None), LoginLockout.locked_until < now)))


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


def _display_name(display_name: str) -> str:
    try:
        return validate.text(display_name, key="name", maximum=40)
    except Invalid as err:
        if err.key != "hygiene.characters":
            raise Invalid("error.display_name") from None
        raise
def _check_username(session: Session, username: str) -> None:
    if not (3 <= len(username) <= 40) or not set(username) <= _USERNAME_CHARS:
        raise Invalid("error.username_format")
    if by_username(session, username) is not None:
        raise Duplicate("error.username_taken", username=username)


def _validate_account(session: Session, actor: Actor | None, *, username: str | None,
                      display_name: str, role: Role | None, site_id: int | None,
                      team_id: int | None, new_site: bool = False,
                      kept_site_id: int | None = None) -> None:
    """Every refusal at once. new_site: the site is made with the account (first start)."""
    check = Checks()
    if username is not None:
        check(_check_username, session, username)
    check(_display_name, display_name)
    site = session.get(Site, site_id) if site_id else None
    if site is None and not new_site:
        check.fail("error.site_required")
    elif site is not None and actor is not None and not in_scope(actor, site.path):
        raise Forbidden(action=Action.MANAGE_USERS.value)
    elif site is not None:
        check(sites.ensure_open_for_members, site, kept_site_id=kept_site_id)
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
    user = User(username=username, display_name=validate.clean(display_name), role=Role.manager,
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
    phone = validate.phone(phone)
    temp = password or temporary_password()
    user = User(username=username, display_name=validate.clean(display_name), role=role,
                site_id=site_id, team_id=team_id if role == Role.team_lead else None, phone=phone,
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
                      site_id=site_id, team_id=team_id, kept_site_id=user.site_id)
    phone = validate.phone(phone)
    user.display_name, user.role, user.site_id = validate.clean(display_name), role, site_id
    user.team_id = team_id if role == Role.team_lead else None
    user.phone = phone
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
    by_role = enum_order(User.role, Role)
    rows = session.exec(base.order_by(User.active.desc(), by_role, User.username)
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
