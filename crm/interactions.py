"""Interactions: the company's own record of every contact with a customer (the master file's
"investment records"): when, where, how, who, what it cost, which discount and service were given,
how it ended.

`InteractionStore` keeps them per workspace on SQLite (table ``crm_interactions``) or Elasticsearch
(``<prefix>-interactions``), idempotent by id (crm/record_store.py). An interaction without an explicit
id gets a deterministic one from customer, time, channel and staff (`interaction_id`), so importing
the same file twice, or adding the same contact twice from the CLI, stores it once.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pydantic import AwareDatetime, Field

from core.models import Frozen
from core.settings import Settings
from crm.record_store import ElasticsearchRecords, RecordKind, SQLiteRecords, UpsertCounts


class InteractionChannel(StrEnum):
    visit = "visit"
    phone = "phone"
    email = "email"
    wechat = "wechat"
    qq = "qq"
    in_store = "in_store"
    other = "other"


# what people write in a channel cell -> the channel (compared lower case, spaces and hyphens as `_`)
CHANNEL_SYNONYMS: dict[str, InteractionChannel] = {
    **{c.value: c for c in InteractionChannel},
    **{s: InteractionChannel.visit for s in ("拜访", "上门", "走访", "meeting")},
    **{s: InteractionChannel.phone for s in ("电话", "call", "phone_call", "来电")},
    **{s: InteractionChannel.email for s in ("邮件", "电子邮件", "e_mail", "mail")},
    **{s: InteractionChannel.wechat for s in ("微信", "weixin")},
    **{s: InteractionChannel.qq for s in ("qq",)},
    **{s: InteractionChannel.in_store for s in ("门店", "到店", "store", "instore", "shop")},
    **{s: InteractionChannel.other for s in ("其他", "其它")},
}


def parse_channel(value: str) -> InteractionChannel:
    """A channel as people write it (`phone`, `电话`, `WeChat`, `in store`, `门店`); ValueError if unknown."""
    key = "_".join(value.strip().lower().replace("-", " ").split())
    try:
        return CHANNEL_SYNONYMS[key]
    except KeyError:
        choices = ", ".join(c.value for c in InteractionChannel)
        raise ValueError(
            f"channel: {value!r} is not one of {choices} (or 拜访, 电话, 邮件, 微信, QQ, 门店)"
        ) from None


def interaction_id(
    customer_id: str, at: datetime, channel: InteractionChannel | str, staff: str | None
) -> str:
    """The id of an interaction given without one: the same contact always gets the same id."""
    instant = at.astimezone(UTC).isoformat()
    parts = "\x1f".join((customer_id, instant, str(channel), (staff or "").strip().casefold()))
    return "i" + hashlib.blake2b(parts.encode("utf-8"), digest_size=12).hexdigest()


class Interaction(Frozen):
    """One contact the company made with a customer."""

    id: str = Field(min_length=1, description="Explicit, or `interaction_id(...)`")
    customer_id: str = Field(min_length=1)
    at: AwareDatetime
    where: str | None = Field(None, description="Place: the customer's office, the Nanjing Road store...")
    channel: InteractionChannel
    staff: str | None = Field(None, description="The staff member who made the contact")
    cost: Decimal | None = Field(None, ge=0, description="What the contact cost the company, in `currency`")
    discount: Decimal | None = Field(None, ge=0, description="Discount given, as an amount in `currency`")
    currency: str | None = Field(None, max_length=8)
    service: str | None = Field(None, description="Service or support provided")
    outcome: str | None = None
    notes: str | None = None

    @classmethod
    def new(cls, **fields: Any) -> Interaction:
        """An interaction whose id, if not given, is derived from customer, time, channel and staff."""
        if not fields.get("id"):
            channel = InteractionChannel(fields["channel"])
            fields["id"] = interaction_id(fields["customer_id"], fields["at"], channel, fields.get("staff"))
        return cls(**fields)


class InteractionStore(Protocol):
    """One workspace's interactions."""

    @property
    def workspace(self) -> str: ...

    def upsert(self, interactions: Iterable[Interaction]) -> UpsertCounts: ...

    def get(self, interaction_id: str) -> Interaction | None: ...

    def list(
        self,
        customer_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[Interaction]: ...

    def iter_all(self, batch_size: int = 1000) -> Iterator[Interaction]: ...

    def count(self, customer_id: str | None = None) -> int: ...

    def close(self) -> None: ...


INTERACTIONS: RecordKind[Interaction] = RecordKind(
    model=Interaction,
    table="crm_interactions",
    index_suffix="interactions",
    key=lambda i: i.id,
    customer=lambda i: i.customer_id,
    at=lambda i: i.at,
    es_fields=lambda i: {"channel": i.channel.value, "staff": i.staff},
    es_mappings={name: {"type": "keyword", "ignore_above": 512} for name in ("channel", "staff")},
)


class SQLiteInteractionStore(SQLiteRecords[Interaction]):
    kind: ClassVar[RecordKind[Any]] = INTERACTIONS


class ElasticsearchInteractionStore(ElasticsearchRecords[Interaction]):
    kind: ClassVar[RecordKind[Any]] = INTERACTIONS


def build_interaction_store(
    settings: Settings, *, workspace: str
) -> SQLiteInteractionStore | ElasticsearchInteractionStore:
    """The workspace's interactions next to the configured mention store; opened on first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchInteractionStore(settings, workspace=workspace)
    return SQLiteInteractionStore(settings, workspace=workspace)
