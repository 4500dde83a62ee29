"""志愿服务记录证明 widgets: the issue form, the register with print and revoke, and the printable
A4 page (made here with every text escaped, Chinese fonts, and space for the seal)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from core import db
from services import certificates
from services.permissions import Actor
from ui.i18n import label, t
from ui.store_views import find_volunteer
from ui.volunteer_views import pick
from ui.widgets import confirmed_reason, day, empty, flash, local_today, paged, reporting_errors


def issue_form(actor: Actor) -> None:
    st.subheader(t("certificates.issue_title"))
    gen = st.session_state.get("cert_gen", 0)
    vid = find_volunteer(actor, f"cert_{gen}")
    if vid is None:
        return
    today = local_today()
    with st.form(f"cert_form_{gen}"):
        c = st.columns(3)
        start = c[0].date_input(t("certificates.from"), value=None, max_value=today,
                                key=f"cert_from_{gen}", format="YYYY-MM-DD")
        end = c[1].date_input(t("certificates.to"), value=None, max_value=today,
                              key=f"cert_to_{gen}", format="YYYY-MM-DD")
        id_number = c[2].text_input(t("certificates.id_number"), max_chars=18,
                                    key=f"cert_id_{gen}", help=t("certificates.id_help"))
        sure = st.checkbox(t("certificates.confirm"), key=f"cert_sure_{gen}")
        go = st.form_submit_button(t("certificates.issue"), type="primary")
    if not go:
        return
    if not sure:
        st.warning(t("common.confirm_first"))
        return
    with db.write_session() as s, reporting_errors():
        cert = certificates.issue(s, actor=actor, volunteer_id=vid, period_from=start,
                                  period_to=end, id_number=id_number)
    st.session_state["cert_gen"] = gen + 1
    flash(t("certificates.issued", number=cert.number, hours=f"{cert.hours:g}"))


def register(actor: Actor) -> None:
    st.subheader(t("certificates.register"))
    search = st.text_input(t("certificates.search"), key="cert_search", max_chars=40)
    with db.session() as s:
        rows = paged(lambda offset, limit: certificates.register(
            s, actor=actor, search=search, offset=offset, limit=limit), key="cert_page")
    if not rows:
        empty("certificates.none")
        return
    df = pd.DataFrame(rows)
    df["period"] = [f"{day(r['period_from'])} — {day(r['period_to'])}" for r in rows]
    df["issued_on"] = df["issued_on"].map(day)
    df["state"] = [t("certificates.revoked_state", reason=r["revoke_reason"]) if r["revoked"]
                   else t("certificates.valid_state") for r in rows]
    shown = ["number", "volunteer_name", "id_number", "period", "hours", "services",
             "issued_on", "issued_by", "state"]
    st.caption(t("certificates.pick_hint"))
    picked = pick(df, shown, "cert_table", {c: t(f"certificates.col.{c}") for c in shown})
    row = next((r for r in rows if r["id"] == picked), None)
    if row is None or row["revoked"]:
        return
    with db.session() as s, reporting_errors():
        full = certificates.get(s, actor=actor, certificate_id=row["id"], printable=True)
    st.download_button(t("certificates.print"), page_html(full).encode("utf-8"),
                       file_name=f"志愿服务记录证明_{row['number']}.html", mime="text/html",
                       key=f"cert_print_{row['id']}", icon=":material/print:", type="primary")
    st.caption(t("certificates.print_hint"))
    reason = confirmed_reason(f"revoke_{row['id']}", reason_label=t("certificates.revoke_reason"),
                              confirm_label=t("certificates.revoke_confirm",
                                              number=row["number"]),
                              button=t("certificates.revoke"), key=f"revoke_{row['id']}",
                              max_chars=200)
    if reason is not None:
        with db.write_session() as s, reporting_errors():
            certificates.revoke(s, actor=actor, certificate_id=row["id"], reason=reason)
        flash(t("certificates.revoked", number=row["number"]))


def _line(x: dict) -> str:
    e = html.escape
    what = x["code"] or t(f"record.source.{x['source'] or 'other'}")
    return (f"<tr><td>{e(x['served_on'])}</td><td>{e(x['content'])}</td>"
            f"<td>{e(x['category'])}</td><td>{e(what)}</td>"
            f"<td class='n'>{x['hours']:g}</td></tr>")


def page_html(c: dict) -> str:
    """The printed copy on A4, every text escaped; the seal goes in the dashed circle."""
    e = html.escape
    who = t("certificates.who", name=c["volunteer_name"], gender=label("gender", c["gender"]))
    ident = t("certificates.who_id", id=c["id_number"]) if c["id_number"] else ""
    body = t("certificates.body", start=day(c["period_from"]), end=day(c["period_to"]),
             issuer=c["issuing_body"], services=c["services"], hours=f"{c['hours']:g}")
    rows = "".join(_line(x) for x in c["lines"])
    heads = "".join(f"<th>{e(t(f'certificates.print_col.{k}'))}</th>"
                    for k in ("date", "content", "category", "code", "hours"))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(t("certificates.doc_title"))} \
{e(c["number"])}</title>
<style>
@page {{ size: 210mm 297mm; margin: 18mm 16mm; }}
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "SimSun", "Microsoft YaHei", serif;
       color: #111; margin: 0; font-size: 12pt; line-height: 1.7; }}
h1 {{ text-align: center; font-size: 22pt; letter-spacing: 6pt; margin: 4mm 0 2mm; }}
.no {{ text-align: right; font-size: 10.5pt; }}
p {{ text-indent: 2em; margin: 2mm 0; }}
table {{ width: 100%; border-collapse: collapse; font-size: 10.5pt; margin: 3mm 0; }}
th, td {{ border: 1px solid #444; padding: 1mm 2mm; text-align: left; }}
td.n {{ text-align: right; }}
tr {{ page-break-inside: avoid; }}
.sign {{ display: flex; justify-content: space-between; margin-top: 8mm; }}
.sign div {{ line-height: 2; }}
.seal {{ width: 42mm; height: 42mm; border: 1px dashed #999; border-radius: 50%;
        display: flex; align-items: center; justify-content: center; color: #999;
        font-size: 10pt; }}
</style></head><body>
<div class="no">{e(t("certificates.number_label"))}{e(c["number"])}</div>
<h1>{e(t("certificates.doc_title"))}</h1>
<p>{e(who)}{e(ident)}{e(body)}</p>
<table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>
<p>{e(t("certificates.closing"))}</p>
<div class="sign"><div>
{e(t("certificates.issuer_label"))}{e(c["issuing_body"])}<br>
{e(t("certificates.head_label"))}{e(c["person_in_charge"])}<br>
{e(t("certificates.handler_label"))}{e(c["handler"])}<br>
{e(t("certificates.phone_label"))}{e(c["contact_phone"])}<br>
{e(t("certificates.date_label"))}{e(day(c["issued_on"]))}
</div><div class="seal">{e(t("certificates.seal"))}</div></div>
</body></html>"""
