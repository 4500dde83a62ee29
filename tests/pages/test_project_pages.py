"""项目扶持 driven through its widgets: the manager enters a project and its spending, refusals
are worded above the form and change nothing, a leader reads without a form, and next year's
candidates are listed."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from core import db
from models import ProjectSpend, SupportProject
from services import catalog, projects
from services.clock import local_today
from tests.pages.conftest import goto, open_app, select_row, submit, values, zh


def _year() -> int:
    return local_today(db.utcnow(), "Asia/Shanghai").year


def _item(world, title="理论宣讲进村") -> int:
    with db.write_session(world.url) as s:
        return catalog.create_item(s, actor=world.town.manager, title=title,
                                   category_id=world.town.category,
                                   team_ids=(world.town.team_a,)).id


def _page(world, who):
    return goto(open_app(getattr(world.town, who)), "projects.py")


def _fill(at, name, amount, item_id):
    key = f"proj_new_{_year()}"
    at.text_input(key=f"{key}_name").input(name)
    at.text_input(key=f"{key}_amount").input(amount)
    at.multiselect(key=f"{key}_items").select(item_id)


def test_the_manager_enters_a_project_and_the_form_is_empty_again(world):
    item = _item(world)
    at = _page(world, "manager")
    assert values(at.info) == [zh("projects.none_manager")]
    _fill(at, "银龄宣讲", "15000", item)
    at.checkbox(key=f"proj_new_{_year()}_flagship").check()
    submit(at, zh("common.save"))
    assert values(at.success) == [zh("projects.saved", name="银龄宣讲")]
    with db.session(world.url) as s:
        [p] = s.exec(select(SupportProject)).all()
    assert (p.name, p.amount_fen, p.flagship, p.year) == ("银龄宣讲", 1_500_000, True, _year())
    key = next(w.key for w in at.text_input if w.key.endswith("_name"))
    assert key != f"proj_new_{_year()}_name" and at.text_input(key=key).value == ""


def test_an_amount_over_the_cap_is_refused_in_words_and_nothing_is_written(world):
    item = _item(world)
    at = _page(world, "manager")
    _fill(at, "银龄宣讲", "20000.01", item)
    submit(at, zh("common.save"))
    assert zh("error.project_over_cap", cap="20,000") in values(at.error)
    with db.session(world.url) as s:
        assert s.exec(select(SupportProject)).all() == []
    assert at.text_input(key=f"proj_new_{_year()}_name").value == "银龄宣讲"  # nothing lost


def test_the_manager_records_spending_on_a_picked_project(world):
    item = _item(world)
    with db.write_session(world.url) as s:
        projects.save(s, actor=world.town.manager, year=_year(), name="银龄宣讲", item_ids=[item],
                      amount=1000)
    at = select_row(_page(world, "manager"), "proj_table", 0)
    assert zh("projects.spending", name="银龄宣讲") in [h.value for h in at.subheader]
    key = next(w.key for w in at.text_input if w.key.startswith("spend_")
               and w.key.endswith("_amount"))
    base = key.removesuffix("_amount")
    at.date_input(key=f"{base}_on").set_value(date(_year(), 1, 2))
    at.text_input(key=key).input("1200")
    at.text_input(key=f"{base}_note").input("教材印刷")
    submit(at, zh("projects.record_spend"))
    assert zh("error.project_overspent", left="1,000.00") in values(at.error)
    at.text_input(key=key).input("300")
    submit(at, zh("projects.record_spend"))
    assert values(at.success) == [zh("projects.spend_saved", name="银龄宣讲")]
    with db.session(world.url) as s:
        assert [r.amount_fen for r in s.exec(select(ProjectSpend))] == [30000]


def test_a_leader_reads_the_list_and_the_candidates_without_a_form(world):
    item = _item(world)
    with db.write_session(world.url) as s:
        projects.save(s, actor=world.town.manager, year=_year(), name="银龄宣讲", item_ids=[item],
                      amount=1000, flagship=True)
    at = _page(world, "leader")
    assert not at.exception
    frame = next(f.value for f in at.dataframe if "cost_per_beneficiary" in f.value.columns)
    assert list(frame["name"]) == [zh("projects.flagship_mark") + " 银龄宣讲"]
    assert [b.label for b in at.get("form_submit_button")] == []
    at.segmented_control(key="proj_view").set_value("candidates").run()
    assert not at.exception
    assert zh("projects.candidates_help", year=_year(), next=_year() + 1) in values(at.caption)

