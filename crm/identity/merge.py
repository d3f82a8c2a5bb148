"""Merging two customers of one workspace, with a dry run, an audit record and an exact unmerge.

`CustomerIdentity(directory, mentions, audit)` works on one workspace's customer directory, mention
store and merge audit (all three must be of the same workspace). `merge(survivor, absorbed)` folds the
absorbed customer into the survivor:

- **fields**: the survivor's values are kept; a field the survivor leaves empty (None, "", (), the
  default) is filled from the absorbed; list fields (contacts, handles, and any tuple field the master
  file grows) and order numbers are unioned. Two exceptions: the tier is the higher of the two (a merge
  never downgrades a customer), and consent is the newer of the two (`consent.updated_at`), or, when
  that does not decide, each flag only if both gave it: one person's latest word, else the stricter.
- **keys**: the union above is the union of the lookup keys; the absorbed customer leaves the directory
  (its keys with it), so linking finds one person where it found two.
- **link feedback**: every verdict about the absorbed customer is copied onto the survivor for the same
  author key, with its original time, unless the survivor already has a newer verdict for that author
  (the newest verdict wins, as everywhere in linking). A rejection of the absorbed customer therefore
  still holds for the survivor, and so does a confirmation. The absorbed customer's own verdicts stay
  (nothing links to a customer that is not in the directory).
- **mentions** linked to the absorbed customer are re-pointed to the survivor in the mention store
  (`MentionStore.upsert` of the same mention with the link's customer changed and one line of evidence
  added); the audit keeps each one's previous link.

The audit record is written before anything changes, so a merge interrupted half-way is undone (or
finished by undoing and merging again) from its record. `unmerge(merge_id)` restores both customers
exactly as they were, the survivor's verdicts, and the links of the re-pointed mentions that still point
to the survivor. Refused: a customer merged into itself, a customer not in this workspace (a customer
of another workspace is not found here), a customer already absorbed; an unmerge of a merge that is
undone, that a later merge of either customer builds on, whose absorbed code was imported again, or
whose survivor changed since (unless forced: the survivor's later changes are then lost).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field

from core.customer_keys import normalize_email, normalize_handle, normalize_phone, normalize_platform
from core.errors import InvalidInput, NotFound
from core.models import (
    Consent,
    Contact,
    Customer,
    CustomerLink,
    EnrichedMention,
    Frozen,
    Handle,
    Tier,
    utcnow,
)
from crm.customers import CustomerRecord, CustomerStore, LinkVerdict
from crm.identity.audit import MergeAudit, MergeRecord, MovedMention
from crm.identity.matcher import DEFAULT_MIN_SCORE, DuplicateCandidate, IdentityRecord, find_duplicates
from index.base import MentionFilter, MentionStore

BATCH = 500
_TIER_RANK = {tier: rank for rank, tier in enumerate(Tier)}  # the enum lists the highest tier first
_SPECIAL = {"code", "name", "tier", "consent"}


class MergePlan(Frozen):
    """What a merge would do (the dry run prints it; the merge records it)."""

    survivor: CustomerRecord
    absorbed: CustomerRecord
    merged: CustomerRecord = Field(description="The survivor as the merge leaves it")
    filled: tuple[str, ...] = Field((), description="Fields the survivor lacked, taken from the absorbed")
    kept: tuple[str, ...] = Field((), description="Fields both had, different: the survivor's kept")
    added: tuple[str, ...] = Field(
        (), description="Contacts, handles, order numbers... added to the survivor"
    )
    feedback_added: tuple[LinkVerdict, ...] = ()
    feedback_replaced: tuple[LinkVerdict, ...] = ()
    mentions: tuple[MovedMention, ...] = ()

    def lines(self) -> list[str]:
        s, a = self.survivor.customer, self.absorbed.customer
        out = [f"merge {a.code} ({a.name}) into {s.code} ({s.name}); {a.code} leaves the directory"]
        out += [f"  fill {field}" for field in self.filled]
        out += [f"  keep {field} (the absorbed customer's differs)" for field in self.kept]
        out += [f"  add {item}" for item in self.added]
        out += [f"  copy verdict {v.verdict} for author {v.author_key}" for v in self.feedback_added]
        out.append(f"  re-point {len(self.mentions)} linked mentions from {a.code} to {s.code}")
        return out


class UnmergeResult(Frozen):
    record: MergeRecord
    mentions_restored: int = Field(ge=0)
    mentions_left: int = Field(ge=0, description="Re-pointed mentions that changed since: left alone")


def _is_default(name: str, value: Any) -> bool:
    field = Customer.model_fields[name]
    return value is None or value == "" or value == () or value == field.default


def _same_as(item: Any) -> Any:
    """What makes two list items one: contacts and handles compare as the directory's keys do."""
    if isinstance(item, Contact):
        return item.kind, normalize_email(item.value) if item.kind == "email" else normalize_phone(item.value)
    if isinstance(item, Handle):
        return (
            normalize_platform(item.platform),
            normalize_handle(item.handle or ""),
            (item.user_id or "").strip(),
        )
    return item


def _union(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """`first`, then what `second` adds to it."""
    seen = {_same_as(item) for item in first}
    return (*first, *(item for item in second if _same_as(item) not in seen))


def _consent(survivor: Consent, absorbed: Consent) -> Consent:
    if survivor.updated_at and absorbed.updated_at and survivor.updated_at != absorbed.updated_at:
        return survivor if survivor.updated_at > absorbed.updated_at else absorbed
    if bool(survivor.updated_at) != bool(absorbed.updated_at):
        return survivor if survivor.updated_at else absorbed
    return Consent(
        marketing=survivor.marketing and absorbed.marketing,
        profiling=survivor.profiling and absorbed.profiling,
        updated_at=survivor.updated_at,
    )


def merged_record(
    survivor: CustomerRecord, absorbed: CustomerRecord
) -> tuple[CustomerRecord, list[str], list[str], list[str]]:
    """The survivor after the merge, and the fields filled, the fields kept, the items added."""
    s, a = survivor.customer, absorbed.customer
    data: dict[str, Any] = {}
    filled: list[str] = []
    kept: list[str] = []
    added: list[str] = []
    for name in Customer.model_fields:
        mine, theirs = getattr(s, name), getattr(a, name)
        if name in _SPECIAL or mine == theirs:
            continue
        if isinstance(mine, tuple):
            extra = [item for item in theirs if _same_as(item) not in {_same_as(x) for x in mine}]
            if extra:
                data[name] = _union(mine, theirs)
                added += [f"{name}: {_show(item)}" for item in extra]
        elif _is_default(name, mine):
            if not _is_default(name, theirs):
                data[name] = theirs
                filled.append(name)
        elif not _is_default(name, theirs):
            kept.append(name)
    if _TIER_RANK[a.tier] < _TIER_RANK[s.tier]:
        data["tier"] = a.tier
        filled.append(f"tier ({a.tier.value}, higher)")
    consent = _consent(s.consent, a.consent)
    if consent != s.consent:
        data["consent"] = consent
        filled.append("consent")
    orders = [o for o in absorbed.order_numbers if o not in survivor.order_numbers]
    added += [f"order number {o}" for o in orders]
    merged = CustomerRecord(
        customer=Customer.model_validate({**s.model_dump(exclude={"id"}), **data}),
        order_numbers=_union(survivor.order_numbers, absorbed.order_numbers),
    )
    return merged, filled, kept, added


def _show(item: Any) -> str:
    if hasattr(item, "model_dump"):
        return ", ".join(f"{k}={v}" for k, v in item.model_dump(exclude_none=True).items())
    return str(item)


def _merge_id(workspace: str, survivor: str, absorbed: str, at_iso: str) -> str:
    digest = hashlib.blake2b(f"{workspace}\x1f{survivor}\x1f{absorbed}\x1f{at_iso}".encode(), digest_size=6)
    return f"mg-{digest.hexdigest()}"


class CustomerIdentity:
    """Duplicates, merge and unmerge over one workspace's directory, mention store and merge audit."""

    def __init__(self, directory: CustomerStore, mentions: MentionStore, audit: MergeAudit) -> None:
        workspaces = {directory.workspace, mentions.workspace, audit.workspace}
        if len(workspaces) != 1:
            raise InvalidInput(
                "the customer directory, mention store and merge audit belong to different workspaces",
                details={
                    "directory": directory.workspace,
                    "mentions": mentions.workspace,
                    "audit": audit.workspace,
                },
            )
        self.directory = directory
        self.mentions = mentions
        self.audit = audit
        self.workspace = directory.workspace

    # --- duplicates ------------------------------------------------------------------------------
    def duplicates(self, *, min_score: float = DEFAULT_MIN_SCORE) -> list[DuplicateCandidate]:
        """Pairs of this workspace's customers that are probably one person, best first."""
        return find_duplicates(
            (IdentityRecord.from_customer(r.customer) for r in self.directory.records()), min_score=min_score
        )

    # --- merge -----------------------------------------------------------------------------------
    def _record(self, code_or_id: str) -> CustomerRecord:
        customer = self.directory.by_code(code_or_id) or self.directory.get(code_or_id)
        if customer is None:
            absorbed = [
                m for m in self.audit.list(active_only=True) if code_or_id in (m.absorbed_id, m.absorbed_code)
            ]
            if absorbed:
                raise InvalidInput(
                    f"customer {absorbed[0].absorbed_code} was absorbed into {absorbed[0].survivor_code} "
                    f"by merge {absorbed[0].id}",
                    details={"customer": code_or_id, "merge": absorbed[0].id},
                )
            raise NotFound(
                f"no customer {code_or_id!r} in workspace {self.workspace!r}",
                details={"customer": code_or_id, "workspace": self.workspace},
            )
        return CustomerRecord(customer=customer, order_numbers=self.directory.order_numbers(customer.id))

    def plan(self, survivor: str, absorbed: str) -> MergePlan:
        """What `merge` would do; refuses what it would refuse."""
        kept, gone = self._record(survivor), self._record(absorbed)
        if kept.id == gone.id:
            raise InvalidInput(
                f"cannot merge customer {kept.customer.code} into itself", details={"customer": kept.id}
            )
        merged, filled, differ, added = merged_record(kept, gone)
        mine = {v.author_key: v for v in self.directory.feedback_of(kept.id)}
        copies: list[LinkVerdict] = []
        replaced: list[LinkVerdict] = []
        for verdict in self.directory.feedback_of(gone.id):
            current = mine.get(verdict.author_key)
            if current is not None and current.at_us >= verdict.at_us:
                continue  # the survivor's own verdict for this author is newer: it wins
            if current is not None:
                replaced.append(current)
            copies.append(verdict.model_copy(update={"customer_id": kept.id}))
        self.mentions.refresh()  # every acknowledged link must be seen, or a mention stays behind
        moved = tuple(
            MovedMention(mention_id=m.id, link=m.customer)
            for m in self.mentions.export(MentionFilter(customer_ids=(gone.id,)))
            if m.customer is not None
        )
        return MergePlan(
            survivor=kept,
            absorbed=gone,
            merged=merged,
            filled=tuple(filled),
            kept=tuple(differ),
            added=tuple(added),
            feedback_added=tuple(copies),
            feedback_replaced=tuple(replaced),
            mentions=moved,
        )

    def merge(
        self, survivor: str, absorbed: str, *, by: str, dry_run: bool = False
    ) -> MergePlan | MergeRecord:
        """Fold `absorbed` into `survivor` (codes or ids). With `dry_run`, only the plan; else the
        audit record of the merge done."""
        plan = self.plan(survivor, absorbed)
        if dry_run:
            return plan
        if not by.strip():
            raise InvalidInput("a merge needs the name of who merges (by)", details={"by": by})
        at = utcnow()
        s, a = plan.survivor.customer, plan.absorbed.customer
        record = MergeRecord(
            id=_merge_id(self.workspace, s.id, a.id, at.isoformat()),
            survivor_id=s.id,
            absorbed_id=a.id,
            survivor_code=s.code,
            absorbed_code=a.code,
            by=by.strip(),
            at=at,
            survivor_before=plan.survivor,
            absorbed_before=plan.absorbed,
            survivor_after=plan.merged,
            feedback_added=plan.feedback_added,
            feedback_replaced=plan.feedback_replaced,
            mentions=plan.mentions,
            changes=tuple(plan.lines()),
        )
        self.audit.add(record)  # first: whatever happens next can be undone from it
        self.directory.upsert([plan.merged])
        self.directory.put_feedback(plan.feedback_added)
        self.directory.delete([a.id])
        evidence = f"merged from {a.code} ({record.id})"
        self._relink(
            [m.mention_id for m in plan.mentions],
            lambda _, link: (
                link.model_copy(update={"customer_id": s.id, "evidence": (*link.evidence, evidence)})
                if link.customer_id == a.id
                else None
            ),
        )
        return record

    def _relink(
        self, mention_ids: Sequence[str], relinked: Callable[[str, CustomerLink], CustomerLink | None]
    ) -> tuple[int, int]:
        """Give each mention the link `relinked(id, link it has now)` returns; None leaves it alone (as a
        mention deleted or unlinked since). Returns (written, left alone)."""
        written = left = 0
        for start in range(0, len(mention_ids), BATCH):
            batch: list[EnrichedMention] = []
            for mention_id in mention_ids[start : start + BATCH]:
                mention = self.mentions.get(mention_id)
                link = relinked(mention_id, mention.customer) if mention and mention.customer else None
                if mention is None or link is None:
                    left += 1
                    continue
                data = mention.model_dump()
                data["customer"] = link.model_dump()
                batch.append(EnrichedMention.model_validate(data))
            if batch:
                self.mentions.upsert(batch)
                written += len(batch)
        self.mentions.refresh()
        return written, left

    # --- unmerge ---------------------------------------------------------------------------------
    def unmerge(self, merge_id: str, *, by: str, force: bool = False) -> UnmergeResult:
        """Undo a merge: both customers as they were, the survivor's verdicts, the mentions' links."""
        record = self.audit.get(merge_id)
        if record is None:
            raise NotFound(
                f"no merge {merge_id!r} in workspace {self.workspace!r}", details={"merge": merge_id}
            )
        if not record.active:
            raise InvalidInput(
                f"merge {merge_id} was undone already ({record.undone_by}, {record.undone_at})",
                details={"merge": merge_id},
            )
        later = [
            m
            for customer in (record.survivor_id, record.absorbed_id)
            for m in self.audit.involving(customer)
            if m.id != record.id and (m.at, m.id) > (record.at, record.id)
        ]
        if later:
            raise InvalidInput(
                f"merge {later[0].id} ({later[0].absorbed_code} into {later[0].survivor_code}) came after "
                f"and builds on this one: unmerge it first",
                details={"merge": merge_id, "later": sorted({m.id for m in later})},
            )
        if self.directory.get(record.absorbed_id) is not None:
            raise InvalidInput(
                f"customer {record.absorbed_code} is in the directory again (imported since the merge); "
                "unmerging would overwrite it",
                details={"merge": merge_id, "customer": record.absorbed_code},
            )
        now = self.directory.get(record.survivor_id)
        if now != record.survivor_after.customer and not force:
            raise InvalidInput(
                f"customer {record.survivor_code} changed since the merge; unmerge with force to restore "
                "it as it was before the merge anyway (its later changes are lost)",
                details={"merge": merge_id, "customer": record.survivor_code},
            )
        self.directory.upsert([record.survivor_before, record.absorbed_before])
        current = {v.author_key: v for v in self.directory.feedback_of(record.survivor_id)}
        untouched = [v for v in record.feedback_added if current.get(v.author_key) == v]
        self.directory.delete_feedback([(v.author_key, v.customer_id) for v in untouched])
        keys = {v.author_key for v in untouched}
        self.directory.put_feedback([v for v in record.feedback_replaced if v.author_key in keys])
        before = {m.mention_id: m.link for m in record.mentions}
        restored, left = self._relink(
            list(before),
            lambda mention_id, link: before[mention_id] if link.customer_id == record.survivor_id else None,
        )
        done = record.model_copy(update={"undone_at": utcnow(), "undone_by": by.strip() or "unknown"})
        self.audit.save(done)
        return UnmergeResult(record=done, mentions_restored=restored, mentions_left=left)
