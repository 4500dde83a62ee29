"""User-facing words, looked up per session: t("orders.title"). Chinese first, English one click
away; the choice is kept on the user's row (and in ?lang= before login) so it survives reloads."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

LANGUAGES = ("zh", "en")
LOCALES = Path(__file__).resolve().parent.parent / "locales"
_MARKDOWN = re.compile(r"[\\`*_\[\]<>#|~$]")  # what Markdown would act on inside a line
# Error parameters that are codes rather than text: translated through these prefixes.
_TRANSLATED_PARAMS = {"status": "status.", "field": "field.", "action": "action.", "what": "what.",
                      "setting": "settings.label.", "weekday": "weekday."}


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@cache
def catalog(lang: str) -> dict[str, str]:
    with open(LOCALES / f"{lang}.toml", "rb") as fh:
        return _flatten(tomllib.load(fh))


def language() -> str:
    lang = st.session_state.get("lang")
    if lang not in LANGUAGES:
        lang = st.query_params.get("lang", "zh")
        lang = lang if lang in LANGUAGES else "zh"
        st.session_state["lang"] = lang
    return lang


class _Keep(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def words_in(lang: str):
    """t() for one fixed language, for code that runs without a session (tests, commands)."""
    def words(key: str, **params) -> str:
        text = catalog(lang).get(key) or catalog("zh").get(key) or key
        return text.format_map(_Keep(params)) if params else text
    return words


def t(key: str, **params) -> str:
    return words_in(language())(key, **params)


def error_text(err, *, markdown: bool = False) -> str:
    """The message for a services.errors.DomainError, its code parameters translated. Several
    problems of one form (services.errors.Problems) come as a heading and one line each.
    `markdown`: the text is drawn as Markdown (st.error), so typed names are escaped and a
    team called **x** stays as typed."""
    problems = getattr(err, "problems", None)
    if problems:
        lines = "\n".join(f"- {error_text(p, markdown=markdown)}" for p in problems)
        return f"{t(err.key, count=len(problems))}\n\n{lines}"
    params = dict(err.params)
    for name, value in params.items():
        prefix = _TRANSLATED_PARAMS.get(name)
        if prefix is not None and value is not None:
            code = str(value)
            # A code with a dot is a whole key already ("group.elderly" names a beneficiary group)
            params[name] = t(code if "." in code else prefix + code)
        elif markdown and isinstance(value, str):
            params[name] = _MARKDOWN.sub(r"\\\g<0>", value)
    return t(err.key, **params)


def label(prefix: str, code) -> str:
    """The word for an enum value: label("status", "submitted") → 待派单."""
    value = getattr(code, "value", code)
    return t(f"{prefix}.{value}")
