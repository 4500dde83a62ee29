"""The public progress page a resident's 服务卡 opens: `/?progress=<token>` (办理进度).

Like the rating page (ui/rating_page.py) it is drawn by app.py before any login or cookie logic,
with no menu, and the token is its only key: every bad token gets the same neutral message, and
bad tokens slow the browser session down the same way. Made for a phone: one column. It shows
the order's steps with their local times, a 催单 button while the order is late (once per local
day), and the rating form once the order may be rated.
"""

from __future__ import annotations

import streamlit as st

from core import db
from services import progress_links
from services.errors import DomainError
from services.progress_links import AlreadyUrged, ProgressLinkNotValid
from ui import rating_page
from ui.i18n import error_text, label, t

_DONE = "progress_done"   # what the last press achieved, shown once after the rerun


def public_page() -> None:
    token = st.query_params.get("progress", "")
    st.title(t("progress.title"))
    st.caption(t("app.title"))
    with db.session() as s:
        view = progress_links.view(s, token=token)
    if view is None:
        rating_page.neutral("error.progress_link")
        return
    done = st.session_state.pop(_DONE, None)
    if done:
        st.success(t(done), icon=":material/check_circle:")
    with st.container(border=True):
        st.text(view.title)
        st.caption(f"{t('progress.code')}：{view.code} · {t('progress.status')}："
                   f"{label('status', view.status)}")
    _timeline(view)
    if view.status == "cancelled":
        st.info(t("progress.cancelled"), icon=":material/info:")
    _urge(token, view)
    _rating(token, view)


def _timeline(view: progress_links.Progress) -> None:
    with st.container(border=True):
        for step in view.steps:
            if step.at is None:
                st.markdown(f":material/radio_button_unchecked: {t('progress.step.' + step.name)}"
                            f" · :gray[{t('progress.pending')}]")
            else:
                st.markdown(f":material/check_circle: **{t('progress.step.' + step.name)}** · "
                            f"{step.at.strftime('%Y-%m-%d %H:%M')}")
    if view.urges:
        st.caption(t("progress.urges", n=len(view.urges),
                     at=view.urges[-1].strftime("%Y-%m-%d %H:%M")))


def _urge(token: str, view: progress_links.Progress) -> None:
    if not view.late:
        return
    st.warning(t("progress.late"), icon=":material/schedule:")
    if view.urged_today:
        st.info(t("progress.urged_today"), icon=":material/info:")
        return
    if not st.button(t("progress.urge"), key="progress_urge", type="primary", width="stretch",
                     icon=":material/campaign:"):
        st.caption(t("progress.urge_help"))
        return
    try:
        with db.write_session() as s:
            progress_links.urge(s, token=token, order_id=view.order_id)
    except ProgressLinkNotValid:
        rating_page.neutral("error.progress_link")
        return
    except AlreadyUrged as err:  # another press of today got there first
        st.info(error_text(err), icon=":material/info:")
        return
    except DomainError as err:
        st.error(error_text(err))
        return
    st.session_state[_DONE] = "progress.urged"
    st.rerun()


def _rating(token: str, view: progress_links.Progress) -> None:
    if view.status == "rated":
        st.success(t("progress.rated"), icon=":material/favorite:")
        return
    if not view.may_rate:
        return
    st.subheader(t("progress.rate_heading"))

    def send(level: int, comment: str) -> None:
        with db.write_session() as s:
            progress_links.rate(s, token=token, order_id=view.order_id, level=level,
                                comment=comment)

    try:
        sent = rating_page.rating_form(send)
    except ProgressLinkNotValid:
        rating_page.neutral("error.progress_link")
        return
    except DomainError as err:
        st.error(error_text(err))
        return
    if sent:
        st.session_state[_DONE] = "rate.thanks"
        st.rerun()
