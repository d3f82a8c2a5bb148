"""`earful reports add | list | show | remove | import`: the workspace's report definitions (which brands,
over which period, in which language, time zone and formats, on which schedule, to which channels), and
brands and reports together from a YAML file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from core.cli_errors import warn
from core.cli_options import Home, Workspace, home_settings
from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE
from reports.brands import brand_key
from reports.cli.common import console, reason, report_store, schedule_text, validated
from reports.definitions import ReportFormat
from reports.manage import find_report, missing_brands, with_brand_names

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reports.brands import Brand
    from reports.definitions import ReportDefinition

Name = typer.Argument(..., help="The report's name: letters, digits, '-', '_', '.'")


def _check_brands(definition: ReportDefinition, known: Sequence[Brand], where: str) -> ReportDefinition:
    missing = missing_brands(definition, known)
    if missing:
        names = ", ".join(repr(b.name) for b in known) or "none yet"
        raise InvalidInput(
            f"{where}: no brand {', '.join(map(repr, missing))} in the workspace (its brands: {names}); "
            "add it first with `earful reports brands add`",
            details={"report": definition.name, "brands": missing},
        )
    return with_brand_names(definition, known)


def report_json(definition: ReportDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json")


def add_cmd(
    name: str = Name,
    title: str = typer.Option("", "--title", help="Shown on the report (default: its name)"),
    brands: list[str] | None = typer.Option(
        None, "--brand", "-b", help="A brand it covers, in the order shown; repeatable (default: every brand)"
    ),
    period: str = typer.Option(
        "last-week",
        "--period",
        help="yesterday, today, last-week, this-week, last-month, this-month, last-N-days or "
        "YYYY-MM-DD..YYYY-MM-DD",
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", "--tz", help="Of the period, the schedule and the dates shown (default: setting)"
    ),
    language: str | None = typer.Option(None, "--language", help="en or zh (default: setting)"),
    formats: list[ReportFormat] | None = typer.Option(
        None,
        "--format",
        "-f",
        help="html, pdf, csv (a zip of CSVs), xlsx; repeatable (default: html pdf csv)",
    ),
    cron: str | None = typer.Option(None, "--cron", help='Run on this cron, in the time zone: "0 9 * * 1"'),
    every: str | None = typer.Option(None, "--every", help="Or run every so long: 1d, 12h, 30m"),
    channels: list[str] | None = typer.Option(
        None, "--channel", "-c", help="An alert channel (channels.yaml) it is delivered through; repeatable"
    ),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Add a report definition, or replace the one of that name (its first creation time is kept). The
    brands must exist; the period, time zone and schedule are checked."""
    from reports.definitions import ReportDefinition
    from reports.schedule import ReportSchedule

    settings = home_settings(home)
    where = f"report {name!r}"
    if cron is not None and every is not None:
        raise InvalidInput(f"{where}: give --cron or --every, not both", details={"report": name})
    schedule = None
    if cron is not None or every is not None:
        schedule = validated(ReportSchedule, f"{where} schedule", cron=cron, every=every)
    definition = validated(
        ReportDefinition,
        where,
        name=name,
        title=title,
        brands=tuple(brands or ()),
        period=period,
        timezone=timezone or settings.reports.timezone,
        language=language or settings.reports.language,
        formats=tuple(formats) if formats else None,
        schedule=schedule,
        channels=tuple(channels or ()),
    )
    with report_store(settings, workspace) as store:
        known = store.list_brands()
        definition = _check_brands(definition, known, where)
        existed = store.get_report(definition.name) is not None
        saved = store.save_report(definition)
    verb = "updated" if existed else "added"
    typer.echo(f"{verb:<8} {saved.name}  {saved.period}  {schedule_text(saved.schedule)}")
    if not known:
        warn("the workspace has no brands yet: the report counts nothing until you add some")


def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the definitions as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """The workspace's report definitions, by name."""
    from rich.table import Table

    with report_store(home_settings(home), workspace) as store:
        reports = store.list_reports()
    if as_json:
        typer.echo(json.dumps([report_json(d) for d in reports], ensure_ascii=False, indent=2))
        return
    out = console()
    if not reports:
        out.print("No reports: add one with `earful reports add NAME --brand BRAND`.")
        return
    table = Table(title=f"Reports of workspace {workspace}", title_justify="left")
    for column in (
        "name",
        "title",
        "brands",
        "period",
        "time zone",
        "lang",
        "formats",
        "schedule",
        "channels",
    ):
        table.add_column(column, overflow="fold")
    for d in reports:
        table.add_row(
            d.name,
            d.display_title,
            ", ".join(d.brands) or "(every brand)",
            d.period,
            d.timezone,
            d.language,
            " ".join(f.value for f in d.formats),
            schedule_text(d.schedule),
            ", ".join(d.channels) or "-",
        )
    out.print(table)


def show_cmd(
    name: str = Name,
    as_json: bool = typer.Option(False, "--json", help="Print the definition as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """One report definition, its brands (with their queries) and its latest archived runs."""
    from rich.table import Table

    from reports.archive import ReportArchive

    settings = home_settings(home)
    with report_store(settings, workspace) as store:
        definition = find_report(store, name)
        known = store.list_brands()
    runs = ReportArchive(settings, workspace=workspace).list(definition.name, limit=5)
    if definition.brands:
        by_key = {b.key: b for b in known}
        brands = [by_key[brand_key(n)] for n in definition.brands if brand_key(n) in by_key]
    else:
        brands = known
    missing = missing_brands(definition, known)
    if as_json:
        payload = {
            **report_json(definition),
            "resolved_brands": [b.model_dump(mode="json") for b in brands],
            "missing_brands": missing,
            "runs": [r.model_dump(mode="json") for r in runs],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Report {definition.name}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for field, value in (
        ("title", definition.display_title),
        ("brands", "\n".join(f"{b.name} ({b.role.value}): {b.query}" for b in brands) or "(no brands yet)"),
        ("period", definition.period),
        ("time zone", definition.timezone),
        ("language", definition.language),
        ("formats", " ".join(f.value for f in definition.formats)),
        ("schedule", schedule_text(definition.schedule)),
        ("channels", ", ".join(definition.channels) or "-"),
        ("created", definition.created_at.isoformat(timespec="seconds")),
        ("updated", definition.updated_at.isoformat(timespec="seconds")),
        (
            "last runs",
            "\n".join(f"{r.built_at:%Y-%m-%d %H:%M}  {r.id}  {r.period_name}" for r in runs) or "-",
        ),
    ):
        table.add_row(field, value)
    out = console()
    out.print(table)
    if missing:
        warn(f"report {definition.name!r} names brand(s) the workspace lacks: {', '.join(missing)}")


def remove_cmd(
    name: str = Name,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Delete a report definition; its archived runs stay (`earful reports archive NAME`)."""
    with report_store(home_settings(home), workspace) as store:
        definition = find_report(store, name)
        store.delete_report(definition.name)
    typer.echo(f"removed {definition.name} (its archived runs stay)")


# --- import --------------------------------------------------------------------------------------
_FILE_KEYS = ("brands", "reports")


def _entries(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise InvalidInput(f"{path}: {key!r} must be a list", details={"file": str(path), "key": key})
    return items


def _entry_name(item: Any) -> str:
    return f" ({item['name']!r})" if isinstance(item, dict) and isinstance(item.get("name"), str) else ""


def load_file(path: Path) -> tuple[dict[int, Brand], dict[int, ReportDefinition], list[str]]:
    """The brands and reports of a YAML file (``brands:`` and ``reports:``, each a list of entries with
    the fields of `Brand` and `ReportDefinition`), by their place in their list, and every problem, each
    naming its entry and field."""
    import yaml
    from pydantic import ValidationError

    from reports.brands import Brand
    from reports.definitions import ReportDefinition

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read it: {exc}", details={"file": str(path)}) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise InvalidInput(f"{path}:{line}: not YAML: {problem}", details={"file": str(path)}) from None
    if not isinstance(data, dict) or not data:
        raise InvalidInput(
            f"{path}: expected a mapping with 'brands:' and/or 'reports:' lists", details={"file": str(path)}
        )
    unknown = sorted(set(map(str, data)) - set(_FILE_KEYS))
    if unknown:
        raise InvalidInput(
            f"{path}: unknown key(s) {', '.join(unknown)} (expected: brands, reports)",
            details={"file": str(path), "keys": unknown},
        )
    problems: list[str] = []
    found: dict[str, dict[int, Any]] = {"brands": {}, "reports": {}}
    for key, model in (("brands", Brand), ("reports", ReportDefinition)):
        for i, item in enumerate(_entries(data, key, path)):
            where = f"{path}: {key}[{i}]{_entry_name(item)}"
            if not isinstance(item, dict):
                problems.append(f"{where}: expected a mapping of fields")
                continue
            try:
                found[key][i] = model.model_validate(item)
            except ValidationError as exc:
                problems.append(f"{where}: {reason(exc, 'entry')}")
    brands: dict[int, Brand] = found["brands"]
    reports: dict[int, ReportDefinition] = found["reports"]
    for kind, names in (
        ("brand", [b.key for b in brands.values()]),
        ("report", [d.name for d in reports.values()]),
    ):
        twice = sorted({n for n in names if names.count(n) > 1})
        problems += [f"{path}: {kind} {n!r} is named twice" for n in twice]
    return brands, reports, problems


def import_cmd(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="brands and reports (YAML)"
    ),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Add (or replace) the brands and reports of a YAML file, all or none: a bad entry refuses the
    file, each problem naming its entry and field. A report's brands must be in the file or the
    workspace. Example:

    \b
    brands:
      - {name: Acme, query: 'acme OR "acme watch"', role: own}
      - {name: 小米, query: '小米 OR xiaomi', role: competitor}
    reports:
      - name: weekly
        brands: [Acme, 小米]
        period: last-week
        timezone: Asia/Shanghai
        language: zh
        formats: [html, pdf]
        schedule: {cron: "0 9 * * 1"}
        channels: [brand-team]
    """
    brands, reports, problems = load_file(path)
    with report_store(home_settings(home), workspace) as store:
        stored = store.list_brands()
        known = {b.key: b for b in [*stored, *brands.values()]}
        for i, definition in reports.items():
            missing = missing_brands(definition, list(known.values()))
            if missing:
                problems.append(
                    f"{path}: reports[{i}] ({definition.name!r}): brands: no brand "
                    f"{', '.join(map(repr, missing))} in the file or the workspace"
                )
        if problems:
            raise InvalidInput(
                f"{path}: {len(problems)} problem(s), nothing imported",
                details={"file": str(path), "errors": [*problems, f"{path}: nothing imported"]},
            )
        stored_keys = {b.key for b in stored}
        stored_reports = {d.name for d in store.list_reports()}
        for brand in brands.values():
            saved = store.save_brand(brand)
            verb = "updated" if brand.key in stored_keys else "added"
            typer.echo(f"{verb:<8} brand  {saved.name}  ({saved.role.value})")
        for definition in reports.values():
            saved_report = store.save_report(with_brand_names(definition, list(known.values())))
            verb = "updated" if definition.name in stored_reports else "added"
            typer.echo(f"{verb:<8} report {saved_report.name}  {schedule_text(saved_report.schedule)}")


__all__ = [
    "add_cmd",
    "import_cmd",
    "list_cmd",
    "load_file",
    "remove_cmd",
    "report_json",
    "show_cmd",
]
