"""Who is signed in. streamlit-authenticator keeps the login cookie; our services decide whether a
password is right (with lockout) and whether a cookie is still honoured.

Session state holds ids and choices only: user_id, login_at, lang.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit.runtime.pages_manager import PagesManager

from core import config, db
from services import users
from services.errors import DomainError
from services.permissions import Action, Actor, allowed
from ui import chrome
from ui.i18n import error_text, t

COOKIE_NAME = "diandan_auth"


def _authenticator(user=None) -> stauth.Authenticate:
    """A fresh Authenticate for this run (never cached: it holds per-session widgets), its
    credentials built from the user table for the one user concerned."""
    credentials = {"usernames": {}}
    if user is not None:
        credentials["usernames"][user.username] = {
            "name": user.display_name, "password": user.password_hash,
            "email": f"{user.username}@localhost", "roles": [user.role.value]}
    return stauth.Authenticate(credentials, cookie_name=COOKIE_NAME, cookie_key=config.cookie_key(),
                               cookie_expiry_days=config.cookie_days(), auto_hash=False,
                               login_sleep_time=0)


def _start(user) -> None:
    st.session_state["user_id"] = user.id
    st.session_state["login_at"] = db.utcnow()
    st.session_state["lang"] = user.language


def _forget() -> None:
    for key in ("user_id", "login_at"):
        st.session_state.pop(key, None)


def _from_cookie() -> None:
    """Restore the user from the login cookie on a new browser session (a reload)."""
    if st.session_state.get("cookie_checked") or COOKIE_NAME not in st.context.cookies:
        return
    st.session_state["cookie_checked"] = True
    with st.sidebar:
        auth = _authenticator()
    token = auth.cookie_controller.get_cookie()
    if not token:
        return
    issued = issued_at(token)
    user = None
    if issued is not None:
        with db.session() as s:
            user = users.cookie_user(s, username=token["username"], issued_at=issued)
    if user is None:
        with st.sidebar:
            auth.cookie_controller.delete_cookie()
        return
    st.session_state["user_id"] = user.id
    st.session_state["login_at"] = issued
    st.session_state["lang"] = user.language


def issued_at(token: dict) -> datetime | None:
    """When a login cookie was issued, as written into it. (Worked out as expiry minus the
    current DIANDAN_COOKIE_DAYS, shortening the setting would move old cookies past a logout.)
    A cookie without the time — made before it was written — is not honoured."""
    issued = token.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, (int, float)):
        return None
    return datetime.fromtimestamp(issued, UTC)


def cookie_token(username: str, now: datetime) -> tuple[str, datetime]:
    """The signed cookie value (streamlit-authenticator's token, plus the issue time) and its
    expiry."""
    expires = now + timedelta(days=config.cookie_days())
    token = jwt.encode({"username": username, "exp_date": expires.timestamp(),
                        "iat": now.timestamp()}, config.cookie_key(), algorithm="HS256")
    return token, expires


def _served_over_https() -> bool:
    proto = st.context.headers.get("X-Forwarded-Proto", "")
    return proto.split(",")[0].strip().lower() == "https" or (
        str(st.context.url or "").startswith("https://"))


def client_id() -> str:
    """Who is knocking, for the login lockout: the address the trusted proxy header gives
    (DIANDAN_CLIENT_IP_HEADER; its last entry, the one our proxy added), else the connection's
    own address, else this browser session (behind a proxy without the header, every client
    would share the proxy's address)."""
    header = config.client_ip_header()
    if header:
        value = (st.context.headers.get(header) or "").split(",")[-1].strip()
        if value:
            return f"ip:{value}"[:64]
    if not header and st.context.ip_address:
        return f"ip:{st.context.ip_address}"[:64]
    return f"s:{st.session_state.setdefault('login_client', secrets.token_hex(12))}"


def current_actor() -> Actor | None:
    """The signed-in, still valid user, or None; checked against the database on every run so a
    logout elsewhere, a password change or a deactivation takes effect at once."""
    if "user_id" not in st.session_state:
        _from_cookie()
    user_id = st.session_state.get("user_id")
    if user_id is None:
        return None
    with db.session() as s:
        if not users.session_still_valid(s, user_id=user_id,
                                         logged_in_at=st.session_state["login_at"]):
            _forget()
            return None
        return users.actor(s, user_id)


def must_change_password(actor: Actor) -> bool:
    with db.session() as s:
        user = s.get(users.User, actor.id)
        return bool(user and user.must_change_password)


def _route_through_app() -> None:
    """Until a session has called st.navigation, Streamlit serves pages/ by itself: the first
    deep link after a restart runs the page file without app.py (no database upgrade, a sidebar
    of raw file names, no logout). Turn that mode off and run again: the rerun starts at app.py,
    which routes this URL like any other (st.Page hashes its url_path, the same in both modes).
    Streamlit 1.67 keeps the mode in PagesManager.uses_pages_directory and clears it in
    st.navigation; clearing it here does the same a run earlier."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def require(action: Action) -> Actor:
    """The guard on the first line of every page: signed in and allowed, or nothing is shown."""
    _route_through_app()
    actor = current_actor()
    if actor is None or not allowed(actor.role, action) or (
            action != Action.CHANGE_OWN_PASSWORD and must_change_password(actor)):
        # Refused: the page ran on its own (a fresh server serves pages/ before app.py's
        # st.navigation), and Streamlit's own menu would list the raw English file names.
        chrome.hide_page_menu()
    if actor is None:
        st.warning(t("auth.login_required"))
        st.page_link("app.py", label=t("auth.go_login"), icon=":material/key:")
        st.stop()
    if not allowed(actor.role, action) or (
            action != Action.CHANGE_OWN_PASSWORD and must_change_password(actor)):
        st.error(t("error.forbidden"))
        st.stop()
    return actor


def issue_cookie_if_due() -> None:
    """Set the login cookie after a login, drawing the cookie component on every run until the
    browser confirms it: another component's answer can rerun the script before this one has
    loaded, and a component missing from a run is removed unrun.

    Drawn in a fragment: the component answers twice (its cookies, then "set"), and each answer
    reruns only the fragment, not the page — before, one login ran the overview three times,
    two of them abandoned halfway."""
    if not st.session_state.get("issue_cookie"):
        return
    with st.sidebar:
        _cookie_fragment()


@st.fragment
def _cookie_fragment() -> None:
    if st.session_state.get(_COOKIE_SET) is True:  # the component's answer: the cookie is there
        st.session_state.pop("issue_cookie", None)
        return
    with db.session() as s:
        user = s.get(users.User, st.session_state["user_id"])
    if user is None:
        return
    auth = _authenticator(user)
    auth.authentication_controller.login(token={"username": user.username})
    # Set through the authenticator's cookie component (keyed "set", as its set_cookie
    # does), with our token: it carries the issue time. The component writes the cookie
    # from JavaScript, so it can be SameSite=Strict and, over HTTPS, Secure — never
    # HttpOnly, which only a server's Set-Cookie header can give (Streamlit has none).
    token, expires = cookie_token(user.username, datetime.now(UTC))
    auth.cookie_controller.cookie_model.cookie_manager.set(
        COOKIE_NAME, token, key=_COOKIE_SET, expires_at=expires,
        secure=_served_over_https() or None, same_site="strict")


_COOKIE_SET = "set"


def _want_cookie() -> None:
    st.session_state["issue_cookie"] = True
    st.session_state.pop(_COOKIE_SET, None)  # an answer from an earlier login is no answer


def login_form(land: Callable[[Actor], str] | None = None) -> None:
    """The login form. On a deep link (a page's URL while logged out) a login reruns into that
    page. On the login page itself, `land` names the url_path of the role's first screen and the
    login switches straight to it: through the hidden home page, which forwards at once, a login
    ran app.py once more (0.3 s before the first chart)."""
    with st.form("login", clear_on_submit=False):
        st.subheader(t("auth.login_title"))
        username = st.text_input(t("auth.username"), key="login_username", max_chars=40)
        password = st.text_input(t("auth.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("auth.login"), type="primary")
    if not submitted:
        return
    try:
        with db.write_session() as s:
            user = users.verify_login(s, username=username, password=password,
                                      client=client_id())
    except DomainError as err:
        st.error(error_text(err))
        return
    _start(user)
    _want_cookie()
    st.session_state.pop("login_password", None)
    if land is not None:
        with db.session() as s:
            actor = users.actor(s, user.id)
        # The logged-out menu has a placeholder at every page's url_path, and a page is known
        # by its url_path alone: the next run, logged in, runs the real page of that path.
        st.switch_page(st.Page(login_form, title=t("auth.login"), url_path=land(actor)))
    st.rerun()


def logout(actor: Actor) -> None:
    with db.write_session() as s:
        users.logout(s, user_id=actor.id)
    with st.sidebar:
        auth = _authenticator()
        auth.cookie_controller.delete_cookie()
    _forget()
    st.session_state["cookie_checked"] = True
    st.rerun()


def password_changed() -> None:
    """After one's own password change: this session stays valid and gets a new cookie."""
    st.session_state["login_at"] = db.utcnow() + timedelta(seconds=1)
    _want_cookie()
