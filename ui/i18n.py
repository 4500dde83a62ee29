"""User-facing words, looked up per session: t("orders.title"). Chinese first, English one click
away; the choice is kept on the user's row (and in ?lang= before login) so it survives reloads."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

LANGUAGES = ("zh", "en")
LOCALES = Path(__file__).resolve().parent.parent / "locales"
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


def error_text(err) -> str:
    """The message for a services.errors.DomainError, its code parameters translated."""
    params = dict(err.params)
    for name, prefix in _TRANSLATED_PARAMS.items():
        if name in params and params[name] is not None:
            params[name] = t(prefix + str(params[name]))
    return t(err.key, **params)


def label(prefix: str, code) -> str:
    """The word for an enum value: label("status", "submitted") → 待派单."""
    value = getattr(code, "value", code)
    return t(f"{prefix}.{value}")
