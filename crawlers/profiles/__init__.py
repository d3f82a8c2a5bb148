"""Site profiles: YAML files telling the review/forum spider where things are on a site.

A selector is CSS (with parsel's ``::text`` and ``::attr(name)``) or XPath when it starts with
``xpath:``. A selector that picks elements (not text or an attribute) yields their whole text.
Relative start URLs are resolved against the spider's ``base_url`` argument, so one profile serves a
site wherever it is hosted (the demo site and the test sites listen on random ports).

Shipped profiles live beside this file; ``load_profile('demo-reviews')`` finds them by name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ConfigError
from crawlers.dates import get_timezone

PROFILE_DIR = Path(__file__).parent


class FieldSelectors(BaseModel):
    """Selectors evaluated inside each item block; all optional but `text` and `date`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(description="The mention's text")
    date: str = Field(description="Publication date as printed (see date_formats)")
    title: str | None = None
    author: str | None = Field(None, description="Display name")
    author_id: str | None = Field(None, description="The site's user id")
    author_handle: str | None = None
    author_url: str | None = None
    rating: str | None = Field(None, description="A number (data-rating='4', '4.5/5'); see rating_scale")
    url: str | None = Field(
        None, description="Permalink of the item; its canonical form becomes the native id"
    )
    native_id: str | None = Field(
        None, description="In-page id (e.g. data-review-id) when there is no permalink"
    )
    product: str | None = None
    lang: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None


class SiteProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Profile name, recorded in each mention's metadata")
    platform: str = Field("web", description="RawMention.platform of what this profile collects")
    site: str | None = Field(None, description="RawMention.site; default: the page's host")
    start_urls: tuple[str, ...] = Field(min_length=1, description="Where crawling starts (may be relative)")
    allowed_domains: tuple[str, ...] = Field(
        (), description="Never leave these domains (default: start hosts)"
    )
    item: str = Field(description="Selector of one review/post block")
    fields: FieldSelectors
    pagination: str | None = Field(None, description="Selector of the next page's link")
    follow: tuple[str, ...] = Field((), description="Selectors of links to pages parsed with this profile")
    date_formats: tuple[str, ...] = Field((), description="strptime formats tried before generic parsing")
    timezone: str = Field("UTC", description="Timezone of dates printed without an offset")
    lang: str | None = Field(None, description="Language hint for every item (ISO 639-1)")
    country: str | None = None
    rating_scale: float = Field(
        5.0, gt=0, description="Best rating on this site; ratings are stored out of 5"
    )
    newest_first: bool = Field(False, description="Listings are newest first: stop paging past the cursor")
    max_pages: int = Field(0, ge=0, description="Stop after this many pages (0: no limit)")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        get_timezone(value)
        return value

    @field_validator("item", "pagination")
    @classmethod
    def _valid_selector(cls, value: str | None) -> str | None:
        if value is not None:
            check_selector(value)
        return value


def check_selector(selector: str) -> None:
    from parsel import Selector

    try:
        probe = Selector(text="<html></html>")
        if selector.startswith("xpath:"):
            probe.xpath(selector[6:])
        else:
            probe.css(selector)
    except Exception as exc:  # parsel raises several types for bad expressions
        raise ValueError(f"invalid selector {selector!r}: {exc}") from exc


_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def load_profile(name_or_path: str | Path) -> SiteProfile:
    """A profile by shipped name ('demo-reviews') or by path to a YAML file."""
    path = Path(name_or_path)
    if not path.suffix and _NAME.match(str(name_or_path)):
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.yaml")))
        raise ConfigError(f"cannot read site profile {name_or_path!r} ({exc}); shipped: {known}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"site profile {path} is not valid YAML: {exc}") from exc
    try:
        return SiteProfile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid site profile {path}: {exc}", details={"path": str(path)}) from exc


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
