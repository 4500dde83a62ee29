"""House rules that keep the project coherent: words, pages, settings."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from core.config import BUSINESS_SETTINGS, ENV_SETTINGS
from models import (
    BeneficiaryGroup,
    Gender,
    NeedPriority,
    OrderAction,
    OrderSource,
    OrderStatus,
    RatingChannel,
    Role,
    SiteLevel,
    TeamTier,
)
from services.needs import STATES as NEED_STATES
from services.permissions import Action
from services.sla import KINDS
from ui.i18n import _flatten
from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parent.parent
CODE = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
SERVICES = list((ROOT / "services").glob("*.py"))


def keys(lang: str) -> set[str]:
    with open(ROOT / "locales" / f"{lang}.toml", "rb") as fh:
        return set(_flatten(tomllib.load(fh)))


ZH, EN = keys("zh"), keys("en")


def test_both_locales_have_the_same_keys():
    assert ZH - EN == set(), "keys only in zh.toml"
    assert EN - ZH == set(), "keys only in en.toml"


def literal_keys(pattern: str, files) -> set[str]:
    found = set()
    for path in files:
        found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_every_key_the_ui_uses_exists():
    used = literal_keys(r"\bt\(\s*\"([a-z_][a-z0-9_.]*)\"", CODE)
    used |= literal_keys(r"\bempty\(\s*\"([a-z_][a-z0-9_.]*)\"", CODE)
    used |= {f"{spec.title_key}" for spec in PAGES} | {spec.section for spec in PAGES}
    assert used, "the pattern found nothing: the test would pass vacuously"
    assert sorted(used - ZH) == []


def test_every_error_key_the_services_raise_exists():
    used = literal_keys(r"\"(error\.[a-z_]+)\"", SERVICES)
    assert len(used) > 20
    assert sorted(used - ZH) == []


def test_every_field_name_in_a_validation_message_exists():
    fields = literal_keys(r"key=\"([a-z_]+)\"", SERVICES)
    assert "title" in fields
    assert sorted(f"field.{f}" for f in fields if f"field.{f}" not in ZH) == []


@pytest.mark.parametrize("prefix, values", [
    ("status", [s.value for s in OrderStatus]),
    ("source", [s.value for s in OrderSource]),
    ("group", [g.value for g in BeneficiaryGroup]),
    ("channel", [c.value for c in RatingChannel]),
    ("tier", [t.value for t in TeamTier]),
    ("gender", [g.value for g in Gender]),
    ("role", [r.value for r in Role]),
    ("site_level", [s.value for s in SiteLevel]),
    ("level", ["1", "2", "3", "4", "5"]),
    ("priority", [p.value for p in NeedPriority]),
    ("need_state", list(NEED_STATES)),
    ("overdue", list(KINDS)),
    ("action", [a.value for a in OrderAction]),
    ("settings.label", [s.key for s in BUSINESS_SETTINGS]),
    ("settings.help", [s.key for s in BUSINESS_SETTINGS]),
])
def test_every_enum_value_has_a_word(prefix, values):
    assert [v for v in values if f"{prefix}.{v}" not in ZH] == []


def first_statement(path: Path) -> ast.stmt:
    body = [n for n in ast.parse(path.read_text(encoding="utf-8")).body
            if not isinstance(n, (ast.Import, ast.ImportFrom))
            and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    return body[0]


def test_every_page_file_is_registered_and_every_registered_page_exists():
    files = {p.name for p in (ROOT / "pages").glob("*.py")}
    assert files == {spec.file for spec in PAGES}


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.file)
def test_every_page_starts_with_the_guard_for_its_own_action(spec):
    stmt = first_statement(ROOT / "pages" / spec.file)
    assert isinstance(stmt, ast.Assign), "the first statement must be `actor = require(...)`"
    call = stmt.value
    assert isinstance(call, ast.Call) and getattr(call.func, "id", "") == "require"
    arg = call.args[0]
    assert isinstance(arg, ast.Attribute) and arg.attr == Action(spec.action).name


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_hold_no_queries_commits_or_role_checks(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"(?<![a-z_])select\(", source)
    assert ".commit(" not in source
    assert not re.search(r"role\s*==", source)


@pytest.mark.parametrize("path", sorted(CODE), ids=lambda p: p.name)
def test_no_raw_html_is_rendered(path):
    source = path.read_text(encoding="utf-8")
    assert "unsafe_allow_html" not in source
    # ui/chrome.py sends the app's static CSS (Streamlit's own English worded, its file-name
    # menu hidden); its st.html calls take only literals and locale words, never user data.
    assert "st.html(" not in source or path.relative_to(ROOT).as_posix() == "ui/chrome.py"


def _calls(path: Path, name: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "attr", getattr(n.func, "id", "")) == name]


@pytest.mark.parametrize("path", sorted(CODE), ids=lambda p: p.name)
def test_streamlits_english_options_are_turned_off_or_worded(path):
    """A multiselect's "Select all" is English in Streamlit 1.67 and cannot be worded: every
    multiselect turns it off; every editable table words its empty cells (else "None")."""
    for call in _calls(path, "multiselect"):
        opts = {k.arg: k.value for k in call.keywords}
        assert "select_all" in opts and getattr(opts["select_all"], "value", None) is False, \
            f"{path.name}:{call.lineno}: multiselect without select_all=False"
    for call in _calls(path, "data_editor"):
        assert "placeholder" in {k.arg for k in call.keywords}, \
            f"{path.name}:{call.lineno}: data_editor without placeholder="


def test_the_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [s.name for s in ENV_SETTINGS] + [s.key for s in BUSINESS_SETTINGS]
    assert [n for n in names if f"| `{n}` |" not in readme] == []


def test_the_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:400]
    assert "pip install -r requirements.txt && streamlit run app.py" in head
    assert "pip install -r requirements-dev.txt && pytest" in head


def test_streamlit_config_sets_the_offline_options():
    with open(ROOT / ".streamlit" / "config.toml", "rb") as fh:
        cfg = tomllib.load(fh)
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["maxUploadSize"] <= 10
    assert cfg["runner"]["enforceSerializableSessionState"] is True
    # a full gc.collect after every run cost 0.4 s of each (bench/README, login → overview);
    # AppTest's runner never does it, so only a served app would show it come back
    assert cfg["runner"]["postScriptGC"] is False


# --- services write no screen text ----------------------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def chinese_outside_constants(path: Path) -> list[str]:
    """Chinese string literals that are neither a docstring nor inside the value of a
    module-level UPPER_CASE constant (the declared data: a file format, default names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)):
            allowed.add(id(body[0].value))
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id.isupper() for t in targets) and node.value:
            allowed |= {id(n) for n in ast.walk(node.value)}
    return [f"{path.relative_to(ROOT)}:{n.lineno} {n.value[:30]!r}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and CJK.search(n.value) and id(n) not in allowed]


def test_services_hold_no_screen_text():
    assert sorted(hit for path in SERVICES for hit in chinese_outside_constants(path)) == []


def test_the_screen_text_checker_finds_an_inline_chinese_string(tmp_path, monkeypatch):
    planted = tmp_path / "bad.py"
    planted.write_text('"""模块说明。"""\nFORMAT = ("村（站）",)\n\n\n'
                       'def f():\n    """说明。"""\n    return "已完成"\n', encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert chinese_outside_constants(planted) == ["bad.py:7 '已完成'"]


def test_every_word_the_services_ask_the_ui_for_exists():
    from services import exports, survey_import
    from services.menu import flags

    used = literal_keys(r"\bwords\(\s*\"([a-z_][a-z0-9_.]*)\"", SERVICES)
    used |= set(exports.MENU_COLUMNS) | set(survey_import.TEMPLATE_NOTES)
    kinds = {f["kind"] for f in flags(ratings=9, average=1.0, last_order_on=None,
                                      added_on=date(2020, 1, 1), cutoff=date(2026, 1, 1),
                                      values={"menu_min_ratings": 5, "satisfaction_threshold": 3.5,
                                              "menu_idle_months": 6})}
    assert kinds == {"low_rating", "idle"}
    used |= {f"export.flag_{k}" for k in kinds} | {f"need_state.{s}" for s in NEED_STATES}
    assert "export.officer" in used, "the pattern found nothing: the test would pass vacuously"
    assert sorted(used - ZH) == []


# --- the README's "Where rules live" ---------------------------------------------------------


def where_rules_live() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where rules live", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`([a-z_/]+\.(?:py|toml)):?([A-Za-z_]*)`", section)


def defines(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return True
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def test_every_place_the_readme_names_for_a_rule_exists():
    named = where_rules_live()
    assert len(named) > 20, "the section or its pattern went missing"
    missing = [f"{path}:{name}" for path, name in named
               if not (ROOT / path).exists() or (name and not defines(ROOT / path, name))]
    assert missing == []


def test_every_table_says_what_it_is_for():
    from sqlmodel import SQLModel

    import models

    tables = [getattr(models, name) for name in models.__all__
              if isinstance(getattr(models, name), type)
              and issubclass(getattr(models, name), SQLModel)
              and getattr(getattr(models, name), "__table__", None) is not None]
    assert len(tables) == len(SQLModel.metadata.tables)
    assert [t.__name__ for t in tables if not (t.__doc__ or "").strip()] == []
