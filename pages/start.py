"""开始使用: the getting-started checklist of a new town, each step ticked once it is done."""

import streamlit as st

from core import db
from services import getting_started
from services.permissions import Action
from ui.i18n import t
from ui.session import require

actor = require(Action.MANAGE_SITES)

st.title(t("start.title"))
with db.session() as s:
    steps = getting_started.steps(s, actor=actor)
done = sum(step["done"] for step in steps)
st.write(t("start.intro"))
st.progress(done / len(steps), text=t("start.progress", done=done, total=len(steps)))
if done == len(steps):
    st.success(t("start.all_done"), icon=":material/celebration:")
for number, step in enumerate(steps, start=1):
    with st.container(border=True):
        c = st.columns([1, 8])
        c[0].markdown("### ✅" if step["done"] else f"### {number}")
        key = f"start.{step['step']}"
        c[1].markdown(f"**{t(key)}**")
        c[1].caption(t(f"{key}_done", count=step["count"]) if step["done"] else
                     t(f"{key}_hint"))
        c[1].page_link(f"pages/{step['page']}", label=t(f"{key}_link"),
                       icon=":material/arrow_forward:")
