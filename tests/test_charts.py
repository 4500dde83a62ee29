"""ui/charts.draw: a server draws charts without Altair's schema check (about 30 ms a chart);
the spec must be the very one the checked path gives, and the tests keep the check on."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
from altair.utils.schemapi import SchemaValidationError

from ui import charts


def _charts() -> list:
    monthly = pd.DataFrame({"month": ["2026-01", "2026-01", "2026-02"],
                            "status": ["submitted", "rated", "completed"], "orders": [3, 5, 2]})
    heat = pd.DataFrame({"village": ["东村", "西村"], "category": ["理论宣讲", "文化服务"],
                         "category_order": [0, 1], "needs": [4, 1]})
    demand = pd.DataFrame({"category": ["理论宣讲", "文化服务"], "needs": [4, 1], "done": [2, 3]})
    trend = pd.DataFrame({"name": ["2026-01", "2026-02"], "good_rate": [0.5, 0.75],
                          "satisfied_rate": [0.8, 1.0], "ratings": [4, 8]})
    return [charts.orders_by_month(monthly), charts.need_heat(heat),
            charts.demand_supply(demand), charts.satisfaction_trend(trend)]


@pytest.mark.parametrize("index", range(4))
def test_an_unchecked_chart_gives_the_spec_of_the_checked_one(index):
    checked = _charts()[index].to_dict()          # validates against the schema
    assert charts.unchecked(_charts()[index]).to_dict() == checked


def test_the_check_is_what_the_flag_says():
    """A wrong spec fails when checked and passes unchecked: the tests set CHECK_SPECS
    (tests/conftest.py), so every chart a page test draws is checked."""
    assert charts.CHECK_SPECS is True
    def wrong():
        return alt.Chart(pd.DataFrame({"m": ["a"]}), mark="bar", height="tall")

    with pytest.raises(SchemaValidationError):
        wrong().to_dict()
    assert charts.unchecked(wrong()).to_dict()["height"] == "tall"
