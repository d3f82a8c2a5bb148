"""What spiders yield. A spider extracts a :class:`MentionDraft` (loose fields, maybe wrong); the
pipelines normalise and validate it into a :class:`core.models.RawMention`, or report it as a
:class:`core.models.Rejected` with the page it came from and why. Spiders may also yield `Rejected`
themselves (a block that could not be parsed at all). Both are plain items to Scrapy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.models import RawMention, Rejected

Item = RawMention | Rejected


@dataclass
class MentionDraft:
    """Fields of a RawMention as extracted, before normalisation and validation.

    `locator` says where it was found (page URL, plus the block's position) for rejection reports.
    `date_text` keeps the date as printed when it could not be parsed, so the reason can quote it."""

    fields: dict[str, Any]
    locator: str
    date_text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
