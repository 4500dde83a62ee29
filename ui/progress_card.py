"""服务卡: the printable card a resident gets when an order is placed for them, with the QR code
of the order's progress link (办理进度, services/progress_links.py) — the order's title, code and
day of 点单, no names, no phone numbers.

The token is shown once (only its hash is stored), so it is kept in this browser session until
the card is put away (完成); making a new card for the order revokes the old one.
"""

from __future__ import annotations

import streamlit as st

from core import db
from models import OrderStatus
from services import progress_links
from services.errors import DomainError
from services.permissions import Action, Actor, allowed
from ui.i18n import error_text, t
from ui.rating_card import base_address, offer_link, printable_card, qr_png
from ui.widgets import local_time

NEW = "progress_card_new"   # the card made with the last 点单 of this session


def card_html(*, title: str, code: str, placed: str, url: str, until: str) -> str:
    return printable_card(heading=t("progress.card.title"), title=title,
                          meta=((t("progress.code"), code), (t("progress.card.placed"), placed)),
                          url=url, how=t("progress.card.how"),
                          until=t("progress.card.until", until=until))


def _kept(issued, order: dict) -> dict:
    return {"order_id": order["id"], "code": order["code"], "title": order["title"],
            "placed": local_time(order["submitted_at"])[:10], "token": issued.token,
            "expires_at": issued.expires_at}


def after_place(actor: Actor, order) -> None:
    """Right after 点单 with the box ticked: the card of the new order, kept to be shown under
    the form. The order stands even if this fails; the card can be made from its detail."""
    try:
        with db.write_session() as s:
            issued = progress_links.issue(s, actor=actor, order_id=order.id)
    except DomainError as err:
        st.session_state[NEW] = {"failed": error_text(err)}
        return
    st.session_state[NEW] = _kept(issued, order.model_dump())


def new_card() -> None:
    """Under the 点单 form: the card just made, until it is put away."""
    kept = st.session_state.get(NEW)
    if not kept:
        return
    if "failed" in kept:
        st.warning(f"{t('progress.card.failed')} {kept['failed']}", icon=":material/warning:")
        st.session_state.pop(NEW, None)
        return
    with st.container(border=True):
        st.subheader(t("progress.card.for_order", code=kept["code"]))
        _show(kept, NEW)


def _show(kept: dict, key: str) -> None:
    base, configured = base_address()
    if not configured:
        st.warning(t("rating_link.no_base", base=base), icon=":material/warning:")
    url = progress_links.link(base, kept["token"])
    until = local_time(kept["expires_at"])
    cols = st.columns([1, 2])
    cols[0].image(qr_png(url), width=220, caption=t("progress.card.scan"))
    with cols[1]:
        st.caption(t("progress.card.link"))
        st.code(url, language=None, wrap_lines=True)
        st.caption(t("progress.card.valid_until", until=until))
        card = card_html(title=kept["title"], code=kept["code"], placed=kept["placed"], url=url,
                         until=until)
        st.download_button(t("progress.card.download"), card.encode("utf-8"),
                           file_name=f"service-card-{kept['code']}.html", mime="text/html",
                           key=f"{key}_card", icon=":material/print:", type="primary")
        st.download_button(t("progress.card.qr_download"), qr_png(url, scale=12),
                           file_name=f"service-qr-{kept['code']}.png", mime="image/png",
                           key=f"{key}_png", icon=":material/qr_code_2:")
        if st.button(t("progress.card.hide"), key=f"{key}_hide"):
            st.session_state.pop(key, None)
            st.rerun()


def section(actor: Actor, info: dict) -> None:
    """Under an order's detail: make (or replace) its 服务卡, for whoever may place orders."""
    order = info["order"]
    if order["status"] == OrderStatus.cancelled or not allowed(actor.role, Action.PROGRESS_LINK):
        return
    key = f"progress_card_{order['id']}"
    with st.expander(t("progress.card.heading"), icon=":material/qr_code_2:",
                     expanded=key in st.session_state):
        kept = st.session_state.get(key)
        if kept is not None:
            _show(kept, key)
            return
        offer_link(progress_links, actor=actor, order_id=order["id"], key=key,
                   words="progress.card", keep=lambda made: _kept(made, order))
