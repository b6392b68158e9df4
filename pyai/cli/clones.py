"""`pyai voice clones ...`: enroll, wait with the quality report, get, list, delete."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from api_contract import FAILURES, QUALITY_FIELDS, quality_meta
from pyai.cli.common import (
    JsonFlag,
    _api_errors,
    _fetch,
    _list_table,
    _print_json,
    _state,
    _wants_json,
    _when,
    clones_app,
    err,
    out,
)
from pyai.client import PyAI
from pyai.failures import fix_for
from pyai.types import Voice, VoiceQuality

# The measurement a failure code points at, and how each quality field reads: the contract's.
_FAILURE_METRIC = {code: failure.measure for code, failure in FAILURES.items()}
_QUALITY_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    (name, quality_meta(name)["label"], quality_meta(name)["fmt"]) for name in QUALITY_FIELDS)


def _fmt(fmt: str, value: Any) -> str:
    if value is None:
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def _quality_table(quality: VoiceQuality, highlight: str | None) -> Table:
    table = Table(title="Quality report", title_justify="left")
    table.add_column("Measurement")
    table.add_column("Value", justify="right")
    for key, label, fmt in _QUALITY_ROWS:
        style = "bold red" if key == highlight else None
        table.add_row(label, _fmt(fmt, getattr(quality, key)), style=style)
    for key, value in quality.extra.items():
        if key != "warnings":
            table.add_row(key, _fmt("{}", value))
    return table


def _print_voice_report(voice: Voice) -> None:
    """The quality table, then for a failed voice: code, message and the guide's fix."""
    code = voice.failure.code if voice.failure else None
    if voice.quality is not None:
        out.print(_quality_table(voice.quality, _FAILURE_METRIC.get(code or "")))
        # A clip that passed close to a limit: say which, so the next recording can do better.
        for w in voice.quality.extra.get("warnings") or []:
            out.print(Text.assemble(("Borderline: ", "bold yellow"),
                                    f"{w.get('measure')} = {w.get('value')} (limit {w.get('limit')})"))
    if voice.failure is not None:
        out.print(Text.assemble(("Failure: ", "bold red"), voice.failure.code))
        out.print(Text.assemble(("Message: ", "bold"), voice.failure.message))
        ev = voice.failure.evidence or {}
        if ev.get("measure"):
            out.print(Text.assemble(("Evidence: ", "bold"),
                                    f"{ev['measure']} = {ev.get('value')} (limit {ev.get('limit')})"))
        fix = fix_for(voice.failure.code)
        if fix:
            out.print(Text.assemble(("Fix: ", "bold green"), fix))


def _wait_for(pyai: PyAI, voice: Voice, timeout: float, show_spinner: bool) -> Voice:
    deadline = time.monotonic() + timeout
    spinner = err.status(f"Enrolling {voice.id}: checking the clip…") if show_spinner else None
    try:
        if spinner is not None:
            spinner.start()
        while not voice.done:
            if time.monotonic() >= deadline:
                err.print(
                    f"Error: {voice.id} still {voice.status} after {timeout:g} s; "
                    f"check later with: pyai voice clones get {voice.id}",
                    markup=False,
                )
                raise typer.Exit(1)
            time.sleep(1.0)
            voice = pyai.voice.clones.get(voice.id)
    except KeyboardInterrupt:
        err.print(f"Interrupted; enrollment goes on. Check with: pyai voice clones get {voice.id}", markup=False)
        raise typer.Exit(130) from None
    finally:
        if spinner is not None:
            spinner.stop()
    return voice


def _finish_voice(voice: Voice, as_json: bool, waited: bool) -> None:
    if as_json:
        _print_json(voice.to_dict())
    else:
        typer.echo(f"{voice.id} {voice.status}")
        if waited or voice.done:
            _print_voice_report(voice)
    if waited and voice.status == "failed":
        raise typer.Exit(1)


WaitFlag = Annotated[bool, typer.Option("--wait", help="Wait until the voice is ready or failed; exit 1 if failed.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds --wait waits at most.")]


@clones_app.command("create")
def clones_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Display name, 1-100 characters.")],
    file: Annotated[
        Path,
        typer.Option(
            "--file", exists=True, dir_okay=False, readable=True, help="Reference clip (WAV, FLAC, OGG, MP3, ...)."
        ),
    ],
    wait: WaitFlag = False,
    timeout: TimeoutOpt = 300.0,
    json_flag: JsonFlag = False,
) -> None:
    """Enroll a voice from a 6-15 s clip; prints '<voice id> <status>'."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        voice = pyai.voice.clones.create(name=name, file=file)
        if not wait:
            _finish_voice(voice, as_json, waited=False)
            return
        if not as_json:
            # The id first, so a user who interrupts the wait still knows which voice it was.
            typer.echo(f"{voice.id} {voice.status}")
        voice = _wait_for(pyai, voice, timeout, show_spinner=not as_json)
        if as_json:
            _finish_voice(voice, as_json, waited=True)
            return
        if voice.status != "pending":
            typer.echo(f"{voice.id} {voice.status}")
        _print_voice_report(voice)
        if voice.status == "failed":
            raise typer.Exit(1)


@clones_app.command("get")
def clones_get(
    ctx: typer.Context,
    voice_id: Annotated[str, typer.Argument(metavar="ID", help="A voice id (voice_...).")],
    wait: WaitFlag = False,
    timeout: TimeoutOpt = 300.0,
    json_flag: JsonFlag = False,
) -> None:
    """Show a voice: status, quality report and, if it failed, what to fix."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        voice = pyai.voice.clones.get(voice_id)
        if wait:
            voice = _wait_for(pyai, voice, timeout, show_spinner=not as_json)
        if as_json:
            _print_json(voice.to_dict())
        else:
            typer.echo(f"{voice.id} {voice.status}")
            details = Table.grid(padding=(0, 2))
            details.add_row("Name", voice.name)
            details.add_row("Created", _when(voice.created_at))
            details.add_row("Language", voice.language or "-")
            out.print(details)
            _print_voice_report(voice)
        if wait and voice.status == "failed":
            raise typer.Exit(1)


@clones_app.command("list")
def clones_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Page size.")] = 20,
    after: Annotated[str | None, typer.Option("--after", help="Start after this voice id.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow has_more through every page.")] = False,
    json_flag: JsonFlag = False,
) -> None:
    """List the tenant's cloned voices, newest first."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        voices, has_more = _fetch(pyai.voice.clones.list(limit=limit, after=after), all_pages)
    if as_json:
        _print_json({"object": "list", "data": [v.to_dict() for v in voices], "has_more": has_more})
        return
    table = _list_table(("ID", "Name", "Status", "Created", "Failure"), [v.id for v in voices])
    colors = {"ready": "green", "failed": "red", "pending": "yellow"}
    for v in voices:
        table.add_row(
            v.id,
            v.name,
            Text(v.status, style=colors.get(v.status, "")),
            _when(v.created_at),
            v.failure.code if v.failure else "",
        )
    out.print(table)
    if has_more and voices:
        err.print(f"More voices: pyai voice clones list --after {voices[-1].id}", markup=False)


@clones_app.command("delete")
def clones_delete(
    ctx: typer.Context,
    voice_id: Annotated[str, typer.Argument(metavar="ID")],
    json_flag: JsonFlag = False,
) -> None:
    """Delete a voice; it stops working everywhere at once."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        deleted = pyai.voice.clones.delete(voice_id)
    if as_json:
        _print_json(deleted.to_dict())
    else:
        typer.echo(f"{deleted.id} deleted")
        for agent in deleted.extra.get("agents") or []:
            err.print(f"Agent {agent['id']} ({agent['name']}) has no voice now: "
                      f"pyai agents update {agent['id']} --voice joe", markup=False)


# ---- audio ----------------------------------------------------------------------------
