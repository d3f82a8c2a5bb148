"""UI labels in English and Chinese, and which of the two a request gets.

Every module of `api.web.labels` exports `LABELS: dict[str, tuple[str, str]]` ("<area>.<name>" ->
(english, chinese)); this module merges them once, refusing a key two modules define. A missing key is an
error (KeyError), not a silent fallback: tests/api/test_i18n.py finds every key templates and code use.

Language of a request: the `lang` cookie (set by `GET /lang/{code}`), else the signed-in user's language,
else the browser's Accept-Language, else English.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any, Final, Literal

from starlette.requests import Request

import api.web.labels
from api.auth import LANG_COOKIE

Language = Literal["en", "zh"]
SUPPORTED: Final[tuple[Language, ...]] = ("en", "zh")
DEFAULT: Final[Language] = "en"
# The value of <html lang>: Chinese labels are Simplified Chinese.
HTML_LANG: Final[dict[Language, str]] = {"en": "en", "zh": "zh-CN"}


@cache
def labels() -> dict[str, tuple[str, str]]:
    """Every label of every module of `api.web.labels`, merged; a key defined twice is a bug."""
    merged: dict[str, tuple[str, str]] = {}
    owner: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(api.web.labels.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{api.web.labels.__name__}.{module_info.name}")
        for key, texts in module.LABELS.items():
            if key in merged:
                raise ValueError(f"label {key!r} is defined in both {owner[key]} and {module_info.name}")
            merged[key] = texts
            owner[key] = module_info.name
    return merged


def translate(key: str, lang: str, **params: Any) -> str:
    """The label `key` in `lang` (English for an unsupported one), with `{name}` fields filled from
    `params`; KeyError for an unknown key."""
    english, chinese = labels()[key]
    text = chinese if lang == "zh" else english
    return text.format(**params) if params else text


def supported(code: str | None) -> Language | None:
    """`code` as a supported language ('zh-CN', 'zh_TW', 'ZH' -> 'zh'; 'en-GB' -> 'en'), else None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    for lang in SUPPORTED:
        if primary == lang:
            return lang
    return None


def from_accept_language(header: str | None) -> Language | None:
    """The supported language the browser prefers most (highest q, then first listed), if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")):
        code, _, params = part.partition(";")
        lang = supported(code)
        if lang is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else None


def negotiate(cookie: str | None, user_language: str | None, accept_language: str | None) -> Language:
    return supported(cookie) or supported(user_language) or from_accept_language(accept_language) or DEFAULT


def request_language(request: Request) -> Language:
    """The language of this request's page (see the module docstring for the order)."""
    principal = getattr(request.state, "principal", None)
    user_language = getattr(principal, "language", None)
    return negotiate(
        request.cookies.get(LANG_COOKIE),
        user_language if isinstance(user_language, str) else None,
        request.headers.get("accept-language"),
    )
