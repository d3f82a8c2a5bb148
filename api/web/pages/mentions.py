"""The mention page, ``/mentions/{id}``: the mention (text, source link, author, platform, date, language),
its enrichment as chips with the models that made it, its linked customer, and its workflow: assign,
status, priority, tags, star and notes through htmx forms that swap ``_workflow.html`` in place (and
``_history.html`` out of band), with the history of every change below. A viewer sees it all, read-only.

Every form is a real form posting to the same URLs without htmx (then answered with a redirect back to
the page, or the page with the problem and the error's status), so the page works without script.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from alerts.workflow import MAX_NOTE_CHARS, MAX_TAG_CHARS, WorkflowChange, WorkflowPriority, WorkflowStatus
from alerts.workflow.notify import WorkflowUpdate
from api.accounts.models import Permission
from api.accounts.store import AccountStore
from api.auth import Principal
from api.deps import Stores, get_accounts, require_page
from api.routes.mentions import assignable, change_workflow, find_mention, mention_detail
from api.services import Services
from api.web.i18n import request_language, translate
from api.web.render import is_htmx, render
from core.errors import Conflict, InvalidInput, validation_reason
from core.models import utcnow

router = APIRouter(tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, Depends(require_page(Permission.READ))]
Worker = Annotated[Principal, Depends(require_page(Permission.MENTIONS_WORK))]
Accounts = Annotated[AccountStore, Depends(get_accounts)]
MentionId = Annotated[str, Path(min_length=1, max_length=200)]
OptionalField = Annotated[str | None, Form(max_length=MAX_TAG_CHARS * 8)]

HISTORY_SHOWN: Final = 200  # entries of the history the page lists


def http_url(url: str | None) -> str | None:
    """`url` when it is an http(s) URL (rendered as a link); None for anything else (shown as text)."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _context(
    request: Request, principal: Principal, services: Services, accounts: Accounts, mention_id: str
) -> dict[str, Any]:
    detail = mention_detail(services, mention_id)
    mention = detail.mention
    people = {user.username: user.display_name for user in accounts.list_users(principal.workspace)}
    can_work = principal.can(Permission.MENTIONS_WORK)
    return {
        "detail": detail,
        "mention": mention,
        "workflow": detail.workflow,
        "notes": services.workflow.notes(mention.id),
        "history": services.workflow.history(mention.id, limit=HISTORY_SHOWN),
        "people": people,
        "members": assignable(accounts, principal.workspace) if can_work else [],
        "can_work": can_work,
        "statuses": list(WorkflowStatus),
        "priorities": list(WorkflowPriority),
        "source_url": http_url(mention.url),
        "author_url": http_url(mention.author.url if mention.author else None),
        "when": when,
        "max_note_chars": MAX_NOTE_CHARS,
        "max_tag_chars": MAX_TAG_CHARS,
        "base": f"/mentions/{quote(mention.id, safe='')}",
        "flash": None,
        "flash_kind": "info",
        "oob_history": False,
    }


@router.get("/mentions/{mention_id}")
def mention_page(
    request: Request, mention_id: MentionId, principal: Reader, services: Stores, accounts: Accounts
) -> Response:
    return render(request, "mention.html", _context(request, principal, services, accounts, mention_id))


def _notice_flash(request: Request, update: WorkflowUpdate) -> str:
    lang = request_language(request)
    if not update.history:
        return translate("mentions.flash.unchanged", lang)
    notice = update.notice
    if notice is None:
        return translate("mentions.flash.saved", lang)
    if notice.queued:
        return translate(
            "mentions.notice.queued", lang, assignee=notice.assignee, channels=", ".join(notice.channels)
        )
    return translate("mentions.notice.history_only", lang, assignee=notice.assignee)


def _answer(
    request: Request,
    principal: Principal,
    services: Services,
    accounts: Accounts,
    mention_id: str,
    flash: str,
    *,
    kind: str = "success",
    status: int = 200,
) -> Response:
    """htmx: the workflow partial (and the history, out of band) with `flash`; a plain form: back to the
    page after a success, the page with the problem otherwise."""
    context = _context(request, principal, services, accounts, mention_id)
    context |= {"flash": flash, "flash_kind": kind}
    if is_htmx(request):  # htmx swaps only 2xx answers: a refusal is shown in the partial
        return render(request, "_workflow.html", {**context, "oob_history": True})
    if status < 400:
        return RedirectResponse(context["base"], status_code=303)
    return render(request, "mention.html", context, status=status)


def _form_change(
    assignee: str | None,
    status: str | None,
    priority: str | None,
    add_tag: str | None,
    remove_tag: str | None,
    starred: str | None,
) -> WorkflowChange:
    """The change a form names: an empty assignee unassigns; tags are comma-separated."""
    data: dict[str, Any] = {}
    if assignee is not None:
        data["assignee"] = assignee.strip() or None
    if status:
        data["status"] = status
    if priority:
        data["priority"] = priority
    if add_tag is not None:
        data["add_tags"] = [tag for tag in add_tag.split(",") if tag.strip()] or [""]
    if remove_tag:
        data["remove_tags"] = [remove_tag]
    if starred is not None:
        data["starred"] = starred == "true"
    try:
        return WorkflowChange.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation_reason(exc, subject="change")) from None


@router.post("/mentions/{mention_id}/workflow")
def workflow_form(
    request: Request,
    mention_id: MentionId,
    principal: Worker,
    services: Stores,
    accounts: Accounts,
    assignee: OptionalField = None,
    status: OptionalField = None,
    priority: OptionalField = None,
    add_tag: OptionalField = None,
    remove_tag: OptionalField = None,
    starred: OptionalField = None,
    expected_version: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    lang = request_language(request)
    try:
        change = _form_change(assignee, status, priority, add_tag, remove_tag, starred)
        update = change_workflow(services, accounts, principal, mention_id, change, expected_version)
    except Conflict:
        flash = translate("mentions.flash.conflict", lang)
        return _answer(request, principal, services, accounts, mention_id, flash, kind="warning", status=409)
    except InvalidInput as exc:
        flash = translate("mentions.flash.invalid", lang, reason=exc.message)
        return _answer(request, principal, services, accounts, mention_id, flash, kind="error", status=400)
    return _answer(request, principal, services, accounts, mention_id, _notice_flash(request, update))


@router.post("/mentions/{mention_id}/notes")
def note_form(
    request: Request,
    mention_id: MentionId,
    principal: Worker,
    services: Stores,
    accounts: Accounts,
    text: Annotated[str, Form(max_length=MAX_NOTE_CHARS * 2)] = "",
) -> Response:
    lang = request_language(request)
    mention = find_mention(services, mention_id)  # 404 before anything is written
    try:
        services.workflow.add_note(mention.id, principal.actor, text, utcnow())
    except InvalidInput as exc:
        flash = translate("mentions.flash.invalid", lang, reason=exc.message)
        return _answer(request, principal, services, accounts, mention_id, flash, kind="error", status=400)
    flash = translate("mentions.flash.note_added", lang)
    return _answer(request, principal, services, accounts, mention_id, flash)
