"""设置 → 数据备份 in a real browser: the manager of the whole install downloads a backup that
unpacks to a database passing integrity_check, and the download is in the audit log."""

from __future__ import annotations

import gzip

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402
from sqlmodel import select  # noqa: E402

from core import backup, db  # noqa: E402
from models import AuditAction, AuditLog  # noqa: E402
from tests.factories import PASSWORD  # noqa: E402


def test_the_centre_manager_downloads_a_checked_backup(ui, tmp_path):
    ui.goto("/settings")
    ui.submit_login("boss", PASSWORD)
    expect(ui.page.get_by_text("县管理员 · 中心管理员", exact=True)).to_be_visible()
    ui.quiet()
    heading = ui.page.get_by_role("heading", name="数据备份")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    ui.settled()
    ui.shot("settings_backup", review=True)
    with ui.page.expect_download() as download:
        ui.page.get_by_role("button", name="下载备份").click()
    packed = tmp_path / download.value.suggested_filename
    download.value.save_as(packed)
    assert packed.name.startswith("diandan-") and packed.name.endswith(".db.gz")
    restored = tmp_path / "restored.db"
    restored.write_bytes(gzip.decompress(packed.read_bytes()))
    assert backup.check(restored).integrity == "ok"
    with db.session(ui.server.db_url) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == AuditAction.backup_download)).all()
    assert len(rows) == 1
