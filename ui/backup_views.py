"""设置 → 数据备份: a manager of the whole install downloads a checked, compressed backup."""

from __future__ import annotations

import streamlit as st

from core import config, db
from services import backups
from services.permissions import Actor
from ui.i18n import t


def download_panel(actor: Actor) -> None:
    with db.session() as s:
        if not backups.may_download(s, actor):
            return
    st.subheader(t("ops.backup_title"))
    st.caption(t("ops.backup_hint"))

    def build() -> bytes:  # only when clicked: a download is audited and takes a copy
        with db.write_session() as s:
            _name, content = backups.download(s, actor=actor, url=config.database_url())
        return content

    st.download_button(t("ops.backup_download"), data=build,
                       file_name=f"diandan-{db.utcnow():%Y%m%d-%H%M}.db.gz",
                       mime="application/gzip", key="backup_download", on_click="ignore",
                       icon=":material/download:")
