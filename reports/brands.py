"""Brands and competitors: per workspace, named topics with a query each and a role. A report compares
them (share of voice), and each section of a report is per brand.

A brand's key is its case-folded name: "Acme" and "ACME" are one brand in a workspace.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from core.errors import QuerySyntaxError
from core.models import AwareDatetime, Frozen, utcnow
from index.query import parse


class BrandRole(StrEnum):
    own = "own"  # the workspace's own brand
    competitor = "competitor"
    product_line = "product_line"  # one of the own brand's product lines


class Brand(Frozen):
    """A named topic: what its query matches is what the reports count for it."""

    name: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=10_000, description="Query language text (checked)")
    role: BrandRole = BrandRole.own
    description: str = Field("", max_length=1000)
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    @field_validator("name")
    @classmethod
    def _printable(cls, name: str) -> str:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a brand needs a name")
        return name

    @field_validator("query")
    @classmethod
    def _parses(cls, query: str) -> str:
        try:
            parse(query)
        except QuerySyntaxError as exc:  # a ValueError, so the API answers 422 with the field's location
            raise ValueError(f"invalid query: {exc}") from exc
        return query

    @property
    def key(self) -> str:
        return brand_key(self.name)


def brand_key(name: str) -> str:
    """The key a brand is stored and looked up by: its name, whitespace-normalised and case-folded."""
    return " ".join(name.split()).casefold()


__all__ = ["Brand", "BrandRole", "brand_key"]
