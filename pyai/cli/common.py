"""Shared CLI plumbing: the app and its sub-apps, global options, output and error rules.

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from pyai import __version__
from pyai.client import PyAI
from pyai.errors import APIStatusError, PyAIError


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


def _fetch(pager: Any, all_pages: bool) -> tuple[list[Any], bool]:
    """One page (and whether more follow), or with ``--all`` every page."""
    if all_pages:
        return list(pager), False
    page = pager.first_page()
    return page.data, page.has_more

