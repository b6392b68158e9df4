"""The ``pyai`` command line: the SDK's calls, one subcommand each.

Output rules, so that both people and scripts can use it:

* stdout carries the result only: a one-line ``<id> <status>`` or a table for people,
  one JSON document with ``--json``. Spinners, progress and errors go to stderr.
* Exit codes: 0 success; 1 the API said no (any HTTP error, unreachable server) or
  ``--wait`` ended with a failed voice; 2 bad usage (click's convention, also used for
  a missing API key and a malformed ``--json-body``); 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pyai import __version__
from pyai.client import PyAI
from pyai.errors import APIStatusError, PyAIError
from pyai.failures import fix_for
from pyai.resources.agents import NOT_GIVEN
from pyai.types import Agent, Voice, VoiceQuality

__all__ = ["app"]


def _make_console(stderr: bool) -> Console:
    """Rich assumes 80 columns when output is piped; that truncates IDs in logs and
    scripts, so a pipe gets a wide console and a terminal keeps its real width."""
    stream = sys.stderr if stderr else sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if tty else 160)


out = _make_console(stderr=False)
err = _make_console(stderr=True)

app = typer.Typer(
    name="pyai",
    help="Command line for a self-hosted PyAI voice server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
voice_app = typer.Typer(help="Voices.", no_args_is_help=True)
clones_app = typer.Typer(help="Cloned voices: enroll a reference clip, inspect, list, delete.", no_args_is_help=True)
audio_app = typer.Typer(help="Text to speech.", no_args_is_help=True)
agents_app = typer.Typer(help="Agent Builder agents.", no_args_is_help=True)
app.add_typer(voice_app, name="voice")
voice_app.add_typer(clones_app, name="clones")
app.add_typer(audio_app, name="audio")
app.add_typer(agents_app, name="agents")


@dataclass
class _State:
    api_key: str | None = None
    base_url: str | None = None
    json: bool = False
    max_retries: int = 2

    def client(self) -> PyAI:
        if not (self.api_key or os.environ.get("PYAI_API_KEY")):
            _usage_error("No API key: pass --api-key or set PYAI_API_KEY.")
        try:
            return PyAI(api_key=self.api_key, base_url=self.base_url, max_retries=self.max_retries)
        except PyAIError as exc:
            _usage_error(str(exc))


def _usage_error(message: str) -> NoReturn:
    err.print(f"Error: {message}", markup=False)
    raise typer.Exit(2)


def _state(ctx: typer.Context) -> _State:
    state = ctx.find_root().obj
    return state if isinstance(state, _State) else _State()


def _wants_json(ctx: typer.Context, flag: bool) -> bool:
    return flag or _state(ctx).json


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pyai {__version__}")
        raise typer.Exit()


JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON, for scripts.")]


@app.callback()
def main(
    ctx: typer.Context,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="PYAI_API_KEY", show_envvar=True, help="API key (Bearer)."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="PYAI_BASE_URL",
            show_envvar=True,
            help="Server URL, with or without /v1. [default: http://127.0.0.1:8000]",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="JSON output for every command.")] = False,
    max_retries: Annotated[int, typer.Option("--max-retries", min=0, help="Retries on 429/5xx/connection errors.")] = 2,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Global options; every subcommand inherits them."""
    global out, err  # rebuilt per invocation: the streams may have been swapped since import
    out, err = _make_console(stderr=False), _make_console(stderr=True)
    ctx.obj = _State(api_key=api_key, base_url=base_url, json=json_output, max_retries=max_retries)


@contextmanager
def _api_errors(as_json: bool) -> Iterator[None]:
    """Turn SDK exceptions into a message on stderr and exit status 1."""
    try:
        yield
    except APIStatusError as exc:
        _fail(as_json, exc.message, status=exc.status_code, code=exc.code, type_=exc.type)
    except PyAIError as exc:
        _fail(as_json, exc.message, status=None, code=None, type_=type(exc).__name__)


def _fail(as_json: bool, message: str, *, status: int | None, code: str | None, type_: str | None) -> NoReturn:
    if as_json:
        doc = {"error": {"status": status, "type": type_, "code": code, "message": message}}
        err.print_json(json.dumps(doc))
    else:
        label = " ".join(str(p) for p in (status, code) if p is not None)
        err.print(f"Error{f' ({label})' if label else ''}: {message}", markup=False)
    raise typer.Exit(1)


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False))


def _when(ts: Any) -> str:
    if not isinstance(ts, (int, float)):
        return ""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _list_table(columns: tuple[str, ...], ids: list[str]) -> Table:
    """IDs and dates never wrap or truncate: people copy them into the next command."""
    table = Table()
    table.add_column(columns[0], no_wrap=True, min_width=max((len(i) for i in ids), default=2))
    for column in columns[1:]:
        table.add_column(column, no_wrap=column == "Created")
    return table


# ---- voice clones -------------------------------------------------------------------

# Which quality measurement each failure code is about, to highlight it in the report.
_FAILURE_METRIC = {
    "insufficient_bandwidth": "effective_bandwidth_hz",
    "clip_too_short": "speech_s",
    "clip_too_long": "speech_s",
    "no_speech": "speech_s",
    "multiple_speakers": "speakers",
    "too_noisy": "snr_db",
    "background_music": "music",
    "reverberant": "reverb_c50_db",
    "clipping": "clipped_fraction",
    "inconsistent_level": "level_spread_db",
    "long_silence": "longest_silence_s",
    "non_english": "language",
}

_QUALITY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("duration_s", "Duration", "{:.1f} s"),
    ("speech_s", "Speech", "{:.1f} s"),
    ("effective_bandwidth_hz", "Effective bandwidth", "{:,.0f} Hz"),
    ("snr_db", "SNR", "{:.1f} dB"),
    ("speakers", "Speakers", "{}"),
    ("music", "Music", "{:.2f}"),
    ("reverb_c50_db", "Reverb (C50)", "{:.1f} dB"),
    ("clipped_fraction", "Clipped", "{:.2%}"),
    ("level_spread_db", "Level spread", "{:.1f} dB"),
    ("longest_silence_s", "Longest silence", "{:.1f} s"),
    ("language", "Language", "{}"),
    ("language_confidence", "Language confidence", "{:.2f}"),
)


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
        table.add_row(key, _fmt("{}", value))
    return table


def _print_voice_report(voice: Voice) -> None:
    """The quality table, then for a failed voice: code, message and the guide's fix."""
    code = voice.failure.code if voice.failure else None
    if voice.quality is not None:
        out.print(_quality_table(voice.quality, _FAILURE_METRIC.get(code or "")))
    if voice.failure is not None:
        out.print(Text.assemble(("Failure: ", "bold red"), voice.failure.code))
        out.print(Text.assemble(("Message: ", "bold"), voice.failure.message))
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
        pager = pyai.voice.clones.list(limit=limit, after=after)
        if all_pages:
            voices, has_more = list(pager), False
        else:
            page = pager.first_page()
            voices, has_more = page.data, page.has_more
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


# ---- audio ----------------------------------------------------------------------------


class AudioFormat(StrEnum):
    """The API's ``response_format`` values (pyai.resources.audio.RESPONSE_FORMATS)."""

    wav = "wav"
    mp3 = "mp3"
    opus = "opus"
    flac = "flac"
    aac = "aac"
    pcm = "pcm"
    ulaw = "ulaw"
    alaw = "alaw"


@audio_app.command("speech")
def audio_speech(
    ctx: typer.Context,
    input_text: Annotated[str, typer.Option("--input", help="Text to speak (1-4096 characters).")],
    voice: Annotated[str, typer.Option("--voice", help="Stock voice (joe) or a ready clone id.")],
    output: Annotated[Path, typer.Option("--output", help="Where to write the audio; '-' for stdout.")],
    response_format: Annotated[AudioFormat, typer.Option("--format", help="Audio format.")] = AudioFormat.wav,
    speed: Annotated[float, typer.Option("--speed", min=0.25, max=4.0, help="0.25 to 4.0.")] = 1.0,
    json_flag: JsonFlag = False,
) -> None:
    """Synthesize speech and stream it to a file as it is produced."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    fmt = response_format.value
    chunks = pyai.audio.speech_stream(input=input_text, voice=voice, response_format=fmt, speed=speed)
    written = 0
    with _api_errors(as_json):
        if str(output) == "-":
            sink = sys.stdout.buffer
            for chunk in chunks:
                sink.write(chunk)
                written += len(chunk)
            sink.flush()
        else:
            # Write beside the target and rename at the end, so an error midway never
            # leaves a truncated file that looks like a finished one.
            partial = output.with_name(output.name + ".part")
            try:
                with partial.open("wb") as sink:
                    for chunk in chunks:
                        sink.write(chunk)
                        written += len(chunk)
                partial.replace(output)
            finally:
                partial.unlink(missing_ok=True)
    if as_json:
        _print_json({"output": str(output), "bytes": written, "format": fmt, "voice": voice})
    elif str(output) != "-":
        err.print(f"Wrote {written:,} bytes to {output}", markup=False)


# ---- agents ---------------------------------------------------------------------------


def _json_body(value: str | None) -> dict[str, Any] | None:
    """``--json-body`` takes inline JSON, ``@file`` (as curl does) or ``-`` for stdin."""
    if value is None:
        return None
    try:
        if value == "-":
            text = sys.stdin.read()
        elif value.startswith("@"):
            text = Path(value[1:]).read_text()
        else:
            text = value
        body = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        _usage_error(f"--json-body: {exc}")
    if not isinstance(body, dict):
        _usage_error("--json-body must be a JSON object.")
    return body


def _print_agent(agent: Agent) -> None:
    typer.echo(f"{agent.id} {agent.name}")
    details = Table.grid(padding=(0, 2))
    details.add_row("Voice", agent.voice or "-")
    details.add_row("Greeting", agent.greeting or "-")
    details.add_row("Instructions", agent.instructions or "-")
    details.add_row("Responder", json.dumps(agent.responder) if agent.responder is not None else "-")
    details.add_row("Turn detection", json.dumps(agent.turn_detection) if agent.turn_detection is not None else "-")
    details.add_row("Created", _when(agent.created_at))
    out.print(details)


NameOpt = Annotated[str | None, typer.Option("--name", help="Agent name.")]
VoiceOpt = Annotated[str | None, typer.Option("--voice", help="Stock voice or a ready clone id.")]
GreetingOpt = Annotated[str | None, typer.Option("--greeting", help="First thing the agent says.")]
InstructionsOpt = Annotated[str | None, typer.Option("--instructions", help="How the agent behaves.")]
JsonBodyOpt = Annotated[
    str | None,
    typer.Option("--json-body", help="Full agent object as JSON, @file or - (stdin); flags override its fields."),
]


@agents_app.command("create")
def agents_create(
    ctx: typer.Context,
    name: NameOpt = None,
    voice: VoiceOpt = None,
    greeting: GreetingOpt = None,
    instructions: InstructionsOpt = None,
    json_body: JsonBodyOpt = None,
    json_flag: JsonFlag = False,
) -> None:
    """Create an agent; prints '<agent id> <name>'."""
    as_json = _wants_json(ctx, json_flag)
    body = _json_body(json_body) or {}
    if name is None and "name" not in body:
        _usage_error('--name (or a "name" in --json-body) is required.')
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        agent = pyai.agents.create(
            name=name if name is not None else body.pop("name"),
            voice=voice,
            greeting=greeting,
            instructions=instructions,
            extra_body=body,
        )
    if as_json:
        _print_json(agent.to_dict())
    else:
        _print_agent(agent)


@agents_app.command("list")
def agents_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Page size.")] = 20,
    after: Annotated[str | None, typer.Option("--after", help="Start after this agent id.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow has_more through every page.")] = False,
    json_flag: JsonFlag = False,
) -> None:
    """List the tenant's agents."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        pager = pyai.agents.list(limit=limit, after=after)
        if all_pages:
            agents, has_more = list(pager), False
        else:
            page = pager.first_page()
            agents, has_more = page.data, page.has_more
    if as_json:
        _print_json({"object": "list", "data": [a.to_dict() for a in agents], "has_more": has_more})
        return
    table = _list_table(("ID", "Name", "Voice", "Created"), [a.id for a in agents])
    for a in agents:
        table.add_row(a.id, a.name, a.voice or "", _when(a.created_at))
    out.print(table)
    if has_more and agents:
        err.print(f"More agents: pyai agents list --after {agents[-1].id}", markup=False)


@agents_app.command("get")
def agents_get(
    ctx: typer.Context, agent_id: Annotated[str, typer.Argument(metavar="ID")], json_flag: JsonFlag = False
) -> None:
    """Show one agent."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        agent = pyai.agents.get(agent_id)
    if as_json:
        _print_json(agent.to_dict())
    else:
        _print_agent(agent)


@agents_app.command("update")
def agents_update(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(metavar="ID")],
    name: NameOpt = None,
    voice: VoiceOpt = None,
    greeting: GreetingOpt = None,
    instructions: InstructionsOpt = None,
    json_body: JsonBodyOpt = None,
    json_flag: JsonFlag = False,
) -> None:
    """Change the given fields only. A new voice applies from the next session."""
    as_json = _wants_json(ctx, json_flag)
    body = _json_body(json_body) or {}
    fields = {"name": name, "voice": voice, "greeting": greeting, "instructions": instructions}
    given = {k: v for k, v in fields.items() if v is not None}
    if not given and not body:
        _usage_error("Nothing to update: pass --name, --voice, --greeting, --instructions or --json-body.")
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        agent = pyai.agents.update(
            agent_id,
            name=given.get("name", NOT_GIVEN),
            voice=given.get("voice", NOT_GIVEN),
            greeting=given.get("greeting", NOT_GIVEN),
            instructions=given.get("instructions", NOT_GIVEN),
            extra_body=body,
        )
    if as_json:
        _print_json(agent.to_dict())
    else:
        _print_agent(agent)


@agents_app.command("delete")
def agents_delete(
    ctx: typer.Context, agent_id: Annotated[str, typer.Argument(metavar="ID")], json_flag: JsonFlag = False
) -> None:
    """Delete an agent."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        deleted = pyai.agents.delete(agent_id)
    if as_json:
        _print_json(deleted.to_dict())
    else:
        typer.echo(f"{deleted.id} deleted")
