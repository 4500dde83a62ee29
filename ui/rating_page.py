"""The public rating page a resident's QR code opens: `/?rate=<token>`.

Not a page of pages/: app.py draws it before any login or cookie logic, with no menu and no
sidebar, so it has no `require(...)` guard — the token is its only key, and every bad token gets
the same neutral message. Made for a phone: one column, five large choices.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from core import db
from services import rating_links
from services.errors import DomainError
from services.rating_links import LinkNotValid
from ui.i18n import error_text, label, t

# Faces from Streamlit's own icon font (no emoji font needed on the server or the phone).
FACES = {5: ":material/sentiment_very_satisfied:", 4: ":material/sentiment_satisfied:",
         3: ":material/sentiment_neutral:", 2: ":material/sentiment_dissatisfied:",
         1: ":material/sentiment_very_dissatisfied:"}
FREE_BAD_TOKENS = 3      # a mistyped or re-opened link costs nothing ...
FIRST_DELAY_S = 1.0      # ... after that each bad token waits longer, doubling ...
MAX_DELAY_S = 8.0        # ... up to this
_BAD = "rate_bad_tokens"
_THANKED = "rate_thanked"
_CHOICE = "rate_choice"
_sleep = time.sleep  # replaced in tests


def delay_for(bad_tokens: int) -> float:
    """Seconds a browser session waits on its n-th bad token."""
    if bad_tokens <= FREE_BAD_TOKENS:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (bad_tokens - FREE_BAD_TOKENS - 1))


def neutral(key: str = "error.rating_link") -> None:
    """Unknown, used, expired: the same words, after a wait that grows with each bad token (of
    any public link — the progress page shares the count)."""
    bad = st.session_state.get(_BAD, 0) + 1
    st.session_state[_BAD] = bad
    _sleep(delay_for(bad))
    st.info(t(key), icon=":material/info:")



def _choose(level: int) -> None:
    st.session_state[_CHOICE] = level


def _fingerprint(token: str) -> str:
    return rating_links.token_hash(token)[:16]


def public_page() -> None:
    token = st.query_params.get("rate", "")
    st.title(t("rate.title"))
    st.caption(t("app.title"))
    if st.session_state.get(_THANKED) == _fingerprint(token):
        st.success(t("rate.thanks"), icon=":material/favorite:")
        st.caption(t("rate.thanks_more"))
        return
    with db.session() as s:
        view = rating_links.public_view(s, token=token)
    if view is None:
        neutral()
        return
    with st.container(border=True):
        st.caption(t("rate.service"))
        st.text(view.title)
        st.caption(t("rate.team"))
        st.text(view.team)
        st.caption(t("rate.day"))
        st.text(view.service_day)
    try:
        sent = rating_form(lambda level, comment: _send(token, view.order_id, level, comment))
    except LinkNotValid:
        neutral()
        return
    except DomainError as err:
        st.error(error_text(err))
        return
    if sent:
        st.session_state[_THANKED] = _fingerprint(token)
        st.rerun()


def _send(token: str, order_id: int, level: int, comment: str) -> None:
    with db.write_session() as s:
        rating_links.rate(s, token=token, order_id=order_id, level=level, comment=comment)


def rating_form(send: Callable[[int, str], None]) -> bool:
    """Five large choices, an optional comment and 提交评价; `send(level, comment)` writes it
    (and raises a DomainError when it may not). True once it was sent. The progress page draws
    the same form."""
    st.markdown(f"**{t('rate.question')}**")
    chosen = st.session_state.get(_CHOICE)
    for level in (5, 4, 3, 2, 1):
        st.button(f"{label('level', level)}  {'★' * level}{'☆' * (5 - level)}",
                  key=f"rate_level_{level}", icon=FACES[level],
                  type="primary" if chosen == level else "secondary", width="stretch",
                  on_click=_choose, args=(level,))
    comment = st.text_area(t("rate.comment"), key="rate_comment", max_chars=500,
                           placeholder=t("rate.comment_hint"))
    if not st.button(t("rate.submit"), key="rate_submit", type="primary", width="stretch",
                     icon=":material/send:"):
        return False
    if chosen is None:
        st.warning(t("rate.choose_first"))
        return False
    send(chosen, comment)
    return True
