"""评单码 on a completed order: the QR code of a one-time rating link, and a printable rating card
(评单卡) with the order's title, team, service day, the QR code and one line of instructions —
no names, no phone numbers.

The token is shown once (only its hash is stored), so it is kept in this browser session under
the order's id until the page is left; making a new one revokes the old.
"""

from __future__ import annotations

import html
from io import BytesIO
from urllib.parse import urlsplit

import segno
import streamlit as st

from core import db
from models import RATABLE
from services import rating_links
from services import settings as settings_service
from services.permissions import Action, Actor, allowed
from ui.i18n import t
from ui.widgets import local_time, reporting_errors

FALLBACK_BASE = "http://localhost:8501"


def base_address() -> tuple[str, bool]:
    """The public address from the settings, or (with False) this browser's own address."""
    with db.session() as s:
        configured = settings_service.current(s)["public_base_url"]
    if configured:
        return configured, True
    seen = urlsplit(st.context.url or "")
    if seen.scheme in ("http", "https") and seen.netloc:
        return f"{seen.scheme}://{seen.netloc}", False
    return FALLBACK_BASE, False


def qr_png(url: str, scale: int = 8) -> bytes:
    out = BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def card_html(*, title: str, team: str, day: str, url: str, until: str) -> str:
    """The 评单卡: a one-page printable card; every text is escaped, the QR code is inline SVG."""
    return printable_card(heading=t("rating_link.card_title"), title=title,
                          meta=((t("rate.team"), team), (t("rate.day"), day)), url=url,
                          how=t("rating_link.card_how"),
                          until=t("rating_link.card_until", until=until))


def printable_card(*, heading: str, title: str, meta: tuple[tuple[str, str], ...], url: str,
                   how: str, until: str) -> str:
    """One A6 page with a heading, the order's title, a few 'label：value' lines, the QR code of
    `url` and one line of instructions (the 评单卡, and the 服务卡 of ui/progress_card.py)."""
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2)
    e = html.escape
    lines = "\n".join(f'<div class="meta">{e(k)}：{e(v)}</div>' for k, v in meta)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(heading)}</title>
<style>
/* A6 by its size: Chromium ignores the name "A6" and prints Letter. The card fills the page
   inside the margins (a wider card spilled onto a second page). */
@page {{ size: 105mm 148mm; margin: 7mm; }}
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; text-align: center;
       margin: 0; color: #222; }}
.card {{ box-sizing: border-box; border: 2px solid #c0392b; border-radius: 10px;
        padding: 5mm 4mm; width: 100%; max-width: 91mm; margin: 0 auto;
        break-inside: avoid; }}
h1 {{ font-size: 18pt; color: #c0392b; margin: 0 0 3mm; }}
.title {{ font-size: 13pt; font-weight: bold; margin: 2mm 0; text-wrap: balance; }}
.meta {{ font-size: 10.5pt; margin: 1mm 0; }}
svg {{ max-width: 62mm; height: auto; }}
/* One line at this size; should a long translation wrap, balance keeps a lone character from
   hanging on a line of its own. */
.how {{ font-size: 10pt; margin-top: 3mm; text-wrap: balance; }}
.until {{ font-size: 9pt; color: #666; }}
</style></head><body><div class="card">
<h1>{e(heading)}</h1>
<div class="title">{e(title)}</div>
{lines}
{svg}
<div class="how">{e(how)}</div>
<div class="until">{e(until)}</div>
</div></body></html>
"""


def rating_link_section(actor: Actor, info: dict) -> None:
    """Under a completed order's detail, for its team lead and the managers."""
    order = info["order"]
    if order["status"] not in RATABLE or not allowed(actor.role, Action.RATING_LINK):
        return
    st.subheader(t("rating_link.title"))
    key = f"rating_link_{order['id']}"
    base, configured = base_address()
    if not configured:
        st.warning(t("rating_link.no_base", base=base), icon=":material/warning:")
    issued = st.session_state.get(key)
    if issued is None:
        offer_link(rating_links, actor=actor, order_id=order["id"], key=key, words="rating_link",
                   keep=lambda made: {"token": made.token, "expires_at": made.expires_at})
        return
    url = rating_links.link(base, issued["token"])
    until = local_time(issued["expires_at"])
    cols = st.columns([1, 2])
    cols[0].image(qr_png(url), width=220, caption=t("rating_link.scan"))
    with cols[1]:
        st.caption(t("rating_link.link"))
        st.code(url, language=None, wrap_lines=True)
        st.caption(t("rating_link.valid_until", until=until))
        card = card_html(title=order["title"], team=info["team"],
                         day=local_time(order["completed_at"])[:10], url=url, until=until)
        st.download_button(t("rating_link.card_download"), card.encode("utf-8"),
                           file_name=f"rating-card-{order['code']}.html", mime="text/html",
                           key=f"{key}_card", icon=":material/print:", type="primary")
        st.download_button(t("rating_link.qr_download"), qr_png(url, scale=12),
                           file_name=f"rating-qr-{order['code']}.png", mime="image/png",
                           key=f"{key}_png", icon=":material/qr_code_2:")
        if st.button(t("rating_link.hide"), key=f"{key}_hide"):
            st.session_state.pop(key, None)
            st.rerun()


def offer_link(links, *, actor: Actor, order_id: int, key: str, words: str, keep) -> None:
    """Make an order's link (评单码, or 服务卡 with `links` = services.progress_links): the
    hint, the live link's expiry with a tick to replace it, the button. The new link, as
    `keep(issued)` makes it, is put in session state under `key`; `words` is the locale
    section of the texts (hint, live, replace_confirm, make)."""
    with db.session() as s, reporting_errors():
        live = links.live_until(s, actor=actor, order_id=order_id)
    st.caption(t(f"{words}.hint"))
    sure = True
    if live is not None:
        st.info(t(f"{words}.live", until=local_time(live)), icon=":material/info:")
        sure = st.checkbox(t(f"{words}.replace_confirm"), key=f"{key}_sure")
    if not st.button(t(f"{words}.make"), key=f"{key}_make", icon=":material/qr_code_2:"):
        return
    if not sure:
        st.warning(t("common.confirm_first"))
        return
    with db.write_session() as s, reporting_errors():
        issued = links.issue(s, actor=actor, order_id=order_id)
    st.session_state[key] = keep(issued)
    st.rerun()
