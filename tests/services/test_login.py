"""Login: passwords, our own lockout with a cool-off, and cookies that die at logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from models import AuditAction, AuditLog, LoginLockout, Role, User
from services import users
from services.errors import Invalid, LoginRefused
from tests.factories import PASSWORD

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WRONG = "wrong horse"


def _fail(session, username, times, at):
    for _ in range(times):
        with pytest.raises(LoginRefused) as err:
            users.verify_login(session, username=username, password=WRONG, now=at)
        assert err.value.key == "error.login_failed"


def test_the_right_password_logs_in_and_is_audited(session, town):
    user = users.verify_login(session, username="off", password=PASSWORD, now=T)
    assert (user.id, user.role) == (town.officer.id, Role.officer)
    audit = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (audit.action, audit.actor_id, audit.target) == (
        AuditAction.login, town.officer.id, "off")


def test_the_username_is_matched_whatever_its_case_and_spaces(session, town):
    assert users.verify_login(session, username=" OFF ", password=PASSWORD, now=T).id == \
        town.officer.id


def test_a_wrong_password_is_refused_and_counted(session, town):
    _fail(session, "off", 1, T)
    lock = session.get(LoginLockout, ("off", ""))
    assert (lock.failures, lock.last_failure_at, lock.locked_until) == (1, T, None)
    audit = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (audit.action, audit.actor_id, audit.target) == (
        AuditAction.login_failed, town.officer.id, "off")


@pytest.mark.parametrize("password", ["", "correct horse ", "CORRECT HORSE", "密" * 40])
def test_near_misses_and_oversized_passwords_are_refused(session, town, password):
    with pytest.raises(LoginRefused):
        users.verify_login(session, username="off", password=password, now=T)


def test_four_failures_do_not_lock_and_a_success_clears_them(session, town):
    _fail(session, "off", 4, T)
    assert users.verify_login(session, username="off", password=PASSWORD, now=T).id == \
        town.officer.id
    assert session.get(LoginLockout, ("off", "")) is None
    _fail(session, "off", 4, T)  # counting starts again from zero
    users.verify_login(session, username="off", password=PASSWORD, now=T)


def test_five_failures_lock_out_even_the_right_password_for_15_minutes(session, town):
    _fail(session, "off", 5, T)
    lock = session.get(LoginLockout, ("off", ""))
    assert (lock.failures, lock.locked_until) == (5, T + timedelta(minutes=15))
    for later in (timedelta(0), timedelta(minutes=1), timedelta(minutes=14, seconds=59)):
        with pytest.raises(LoginRefused):
            users.verify_login(session, username="off", password=PASSWORD, now=T + later)
    # Refused attempts during the lockout do not extend it.
    assert session.get(LoginLockout, ("off", "")).locked_until == T + timedelta(minutes=15)


def test_after_the_cool_off_the_right_password_works_again(session, town):
    _fail(session, "off", 5, T)
    user = users.verify_login(session, username="off", password=PASSWORD,
                              now=T + timedelta(minutes=15))
    assert user.id == town.officer.id
    assert session.get(LoginLockout, ("off", "")) is None


@pytest.mark.parametrize("earlier", [5, 4], ids=["after a lockout", "old failures fade"])
def test_after_the_cool_off_a_wrong_password_starts_a_fresh_count(session, town, earlier):
    _fail(session, "off", earlier, T)
    later = T + timedelta(minutes=16)
    _fail(session, "off", 1, later)
    lock = session.get(LoginLockout, ("off", ""))
    assert (lock.failures, lock.locked_until) == (1, None)
    assert users.verify_login(session, username="off", password=PASSWORD, now=later).id == \
        town.officer.id


def test_a_lockout_of_one_account_leaves_the_others_alone(session, town):
    _fail(session, "off", 5, T)
    assert users.verify_login(session, username="mgr", password=PASSWORD, now=T).id == \
        town.manager.id


def test_unknown_usernames_get_the_same_refusal_and_are_counted(session, town):
    with pytest.raises(LoginRefused) as unknown:
        users.verify_login(session, username="ghost", password=PASSWORD, now=T)
    with pytest.raises(LoginRefused) as known:
        users.verify_login(session, username="off", password=WRONG, now=T)
    assert (unknown.value.key, unknown.value.params) == (known.value.key, known.value.params)
    assert session.get(LoginLockout, ("ghost", "")).failures == 1

    _fail(session, "ghost", 4, T)
    assert session.get(LoginLockout, ("ghost", "")).locked_until == T + timedelta(minutes=15)
    # One audit row per unknown name and hour, counting the attempts.
    audit = session.exec(select(AuditLog).where(AuditLog.target == "ghost")).all()
    assert [(a.actor_id, a.detail) for a in audit] == [(None, "attempts=5")]


def test_a_deactivated_user_cannot_log_in(session, town):
    users.set_active(session, actor=town.manager, user_id=town.officer.id, active=False)
    with pytest.raises(LoginRefused):
        users.verify_login(session, username="off", password=PASSWORD, now=T)
    assert users.actor(session, town.officer.id) is None
    users.set_active(session, actor=town.manager, user_id=town.officer.id, active=True)
    assert users.verify_login(session, username="off", password=PASSWORD, now=T).id == \
        town.officer.id


# --- cookies ------------------------------------------------------------------------------


def _user(session, town):
    return session.get(User, town.officer.id)


def test_a_cookie_issued_before_logout_is_refused_and_one_after_is_accepted(session, town):
    users.logout(session, user_id=town.officer.id, now=T)
    assert users.cookie_user(session, username="off", issued_at=T - timedelta(seconds=1)) is None
    assert users.cookie_user(session, username="off", issued_at=T).id == town.officer.id
    assert users.cookie_user(session, username="off",
                             issued_at=T + timedelta(hours=1)).id == town.officer.id
    assert not users.session_still_valid(session, user_id=town.officer.id,
                                         logged_in_at=T - timedelta(seconds=1))
    assert users.session_still_valid(session, user_id=town.officer.id, logged_in_at=T)


def test_a_cookie_issued_before_a_password_change_is_refused(session, town):
    users.change_password(session, user_id=town.officer.id, old_password=PASSWORD,
                          new_password="battery staple", now=T)
    assert users.cookie_user(session, username="off", issued_at=T - timedelta(minutes=5)) is None
    assert users.cookie_user(session, username="off", issued_at=T).id == town.officer.id


def test_a_cookie_of_a_deactivated_user_is_refused_whenever_it_was_issued(session, town):
    users.set_active(session, actor=town.manager, user_id=town.officer.id, active=False)
    deactivated_at = _user(session, town).sessions_valid_after
    for issued in (deactivated_at - timedelta(days=1), deactivated_at + timedelta(days=1)):
        assert users.cookie_user(session, username="off", issued_at=issued) is None


def test_a_cookie_for_an_unknown_user_is_refused(session, town):
    assert users.cookie_user(session, username="ghost", issued_at=T) is None


def test_a_password_reset_ends_the_users_sessions(session, town):
    before = _user(session, town).sessions_valid_after
    temp = users.reset_password(session, actor=town.manager, user_id=town.officer.id)
    user = _user(session, town)
    assert user.must_change_password is True
    assert user.sessions_valid_after > before
    assert users.cookie_user(session, username="off", issued_at=before) is None
    assert users.verify_login(session, username="off", password=temp).id == town.officer.id
    with pytest.raises(LoginRefused):
        users.verify_login(session, username="off", password=PASSWORD)


# --- changing passwords and new accounts ------------------------------------------------------


def test_change_password_needs_the_old_password(session, town):
    with pytest.raises(Invalid) as err:
        users.change_password(session, user_id=town.officer.id, old_password=WRONG,
                              new_password="battery staple")
    assert err.value.key == "error.password_wrong"
    users.verify_login(session, username="off", password=PASSWORD, now=T)


def test_change_password_refuses_the_same_password_and_a_short_one(session, town):
    with pytest.raises(Invalid) as same:
        users.change_password(session, user_id=town.officer.id, old_password=PASSWORD,
                              new_password=PASSWORD)
    with pytest.raises(Invalid) as short:
        users.change_password(session, user_id=town.officer.id, old_password=PASSWORD,
                              new_password="short")
    assert (same.value.key, short.value.key) == ("error.password_same", "error.password_short")


def test_a_new_account_gets_a_temporary_password_that_must_be_changed(session, town):
    user, temp = users.create(session, actor=town.manager, username="newbie",
                              display_name="新人", role=Role.officer, site_id=town.village_a)
    assert user.must_change_password is True
    assert len(temp) >= 8
    assert users.verify_login(session, username="newbie", password=temp, now=T).id == user.id

    users.change_password(session, user_id=user.id, old_password=temp,
                          new_password="battery staple", now=T)
    session.refresh(user)
    assert user.must_change_password is False
    assert users.verify_login(session, username="newbie", password="battery staple",
                              now=T).id == user.id
    with pytest.raises(LoginRefused):
        users.verify_login(session, username="newbie", password=temp, now=T)


def test_an_account_made_with_a_chosen_password_need_not_change_it(session, town):
    user, password = users.create(session, actor=town.manager, username="newbie",
                                  display_name="新人", role=Role.officer, site_id=town.village_a,
                                  password="battery staple")
    assert (user.must_change_password, password) == (False, "battery staple")


def test_passwords_are_stored_as_bcrypt_hashes(session, town):
    hashed = _user(session, town).password_hash
    assert hashed.startswith("$2") and PASSWORD not in hashed


def test_a_manager_cannot_deactivate_or_demote_themself(session, town):
    with pytest.raises(Invalid) as off:
        users.set_active(session, actor=town.manager, user_id=town.manager.id, active=False)
    with pytest.raises(Invalid) as demote:
        users.update(session, actor=town.manager, user_id=town.manager.id, display_name="MGR",
                     role=Role.officer, site_id=town.station)
    assert (off.value.key, demote.value.key) == ("error.cannot_deactivate_self",
                                                 "error.cannot_demote_self")

