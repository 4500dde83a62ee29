"""A new town's first hour on the screens: the getting-started checklist a fresh install lands
on, ticked as each step is done, and the 站点 page (tree, add, rename, deactivate, import)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlmodel import select

from core import db
from models import Site, SiteLevel
from services import catalog, sites, users
from tests.factories import place
from tests.pages.conftest import goto, open_app, run, select_row, submit, table, values, zh
from tests.pages.test_forms import fkey


def _first_manager(url):
    with db.write_session(url) as s:
        user = users.create_first_manager(s, centre_name="青山镇新时代文明实践所",
                                          level=SiteLevel.station, username="zhang",
                                          display_name="张站长", password="a good password")
        catalog.ensure_default_categories(s)
        return users.to_actor(s, user)


def _ticks(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("### ")]


def test_a_fresh_install_lands_the_manager_on_the_checklist_with_nothing_ticked(empty_url):
    at = open_app(_first_manager(empty_url))
    assert values(at.title) == [zh("start.title")]
    assert _ticks(at) == ["### 1", "### 2", "### 3", "### 4", "### 5", "### 6"]
    captions = values(at.caption)
    assert zh("start.team_hint") in captions and zh("start.villages_hint") in captions
    links = [link.proto.page for link in at.get("page_link")]
    assert links[:2] == ["sites", "teams"]


def test_a_step_is_ticked_once_it_is_done(empty_url):
    manager = _first_manager(empty_url)
    with db.write_session(empty_url) as s:
        sites.add(s, actor=manager, name="东村", parent_id=manager.site_id)
    at = open_app(manager)
    assert _ticks(at)[0] == "### ✅"
    assert zh("start.villages_done", count=1) in values(at.caption)


def test_an_install_at_work_lands_on_its_first_page_not_the_checklist(world):
    at = open_app(world.town.manager)
    assert values(at.title) == [zh("overview.title")]
    goto(at, "start.py")  # still reachable from the menu, with what is left
    assert "### ✅" in _ticks(at)


# --- 站点 ---------------------------------------------------------------------------------------


def _names(url) -> set[str]:
    with db.session(url) as s:
        return set(s.exec(select(Site.name)))


def test_the_manager_adds_a_village_and_the_form_is_empty_again(empty_url):
    manager = _first_manager(empty_url)
    at = goto(open_app(manager), "sites.py")
    assert zh("sites.no_villages") in values(at.info)
    # one possible parent: chosen already, since there is nothing else it could be
    assert at.selectbox(key="site_add_parent").value == manager.site_id
    at.text_input(key="site_add_name").input("东村")
    submit(at, zh("sites.add"))
    assert "东村" in _names(empty_url)
    assert values(at.success) == [zh("sites.added", name="东村")]
    assert at.text_input(key=f"{fkey(at, 'site_add')}_name").value == ""
    tree = table(at, "sites_tree")
    assert list(tree["shown_name"]) == ["青山镇新时代文明实践所", "　　东村"]


def test_a_village_with_open_orders_is_not_deactivated_and_the_count_is_shown(world):
    with db.write_session(world.url) as s:
        place(s, world.town, title="东村的需求", site_id=world.town.village_a)
    at = goto(open_app(world.town.manager), "sites.py")
    names = list(table(at, "sites_tree")["shown_name"])
    select_row(at, "sites_tree", names.index("　　东村"))
    key = f"site_{world.town.village_a}"
    at.checkbox(key=f"{key}_sure").check()
    submit(at, zh("sites.deactivate"))
    # the town's orders at 东村: the factories' ones plus this one
    with db.session(world.url) as s:
        assert s.get(Site, world.town.village_a).active
        waiting = sites.open_orders_below(s, s.get(Site, world.town.village_a).path)
    assert values(at.error) == [zh("error.site_open_orders", name="东村", count=waiting)]


def test_a_village_is_renamed_from_the_tree(world):
    at = goto(open_app(world.town.manager), "sites.py")
    names = list(table(at, "sites_tree")["shown_name"])
    select_row(at, "sites_tree", names.index("　　西村"))
    at.text_input(key=f"site_{world.town.village_b}_name").input("西村社区")
    submit(at, zh("sites.rename"))
    assert values(at.success) == [zh("sites.renamed", name="西村社区")]
    assert "西村社区" in _names(world.url)


def _sheet(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["青山镇村（社区）名单"])
    sheet.merge_cells("A1:B1")
    sheet.append(list(sites.HEADERS))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_village_import_previews_and_imports_all_at_once(empty_url, monkeypatch):
    manager = _first_manager(empty_url)
    content = _sheet([("东村", ""), ("西村", "")])

    class Upload:
        name = "villages.xlsx"

        def getvalue(self):
            return content

    # AppTest cannot drive st.file_uploader; the panel is given the file it would return.
    monkeypatch.setattr("streamlit.file_uploader", lambda *_args, **_kwargs: Upload())
    at = goto(open_app(manager), "sites.py")
    at.checkbox(key="sites_import_sure").check()
    submit(at, zh("sites.import"))
    assert {"东村", "西村"} <= _names(empty_url)
    assert values(at.success) == [zh("sites.imported", count=2)]
    run(at)
