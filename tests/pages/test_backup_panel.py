"""设置 → 数据备份: offered to the manager of the whole install only."""

from __future__ import annotations

from core import db
from services import users
from tests.pages.conftest import goto, open_app, values, zh


def test_the_manager_of_the_whole_install_is_offered_the_backup(world):
    with db.session(world.url) as s:
        boss = users.to_actor(s, users.by_username(s, "boss"))
    at = goto(open_app(boss), "settings.py")
    assert zh("ops.backup_title") in values(at.subheader)
    assert [b.proto.label for b in at.get("download_button")] == [zh("ops.backup_download")]


def test_a_manager_of_one_station_is_not_offered_it(world):
    at = goto(open_app(world.town.manager), "settings.py")
    assert zh("ops.backup_title") not in values(at.subheader)
    assert at.get("download_button") == []
