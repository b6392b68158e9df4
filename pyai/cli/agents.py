"""`pyai agents ...`: the Agent Builder from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pyai.cli.common import (
    JsonFlag,
    _api_errors,
    _fetch,
    _list_table,
    _print_json,
    _state,
    _usage_error,
    _wants_json,
    _when,
    agents_app,
    err,
    out,
)
from pyai.resources.agents import NOT_GIVEN
from pyai.types import Agent


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


def _knowledge(value: str | None) -> str | None:
    """``--knowledge`` takes the text itself or ``@file``."""
    if value is None or not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        _usage_error(f"--knowledge: {exc}")


def _intents(values: list[str] | None) -> list[dict[str, Any]] | None:
    """``--intent "EXAMPLE | EXAMPLE -> ANSWER"``: example phrases split by ``|``, the
    answer after the first ``->``."""
    if not values:
        return None
    intents = []
    for value in values:
        examples, arrow, answer = value.partition("->")
        phrases = [e.strip() for e in examples.split("|") if e.strip()]
        if not arrow or not phrases or not answer.strip():
            _usage_error(f'--intent {value!r}: write "example | another example -> the answer".')
        intents.append({"examples": phrases, "answer": answer.strip()})
    return intents


def _with_intents(responder: Any, intents: list[dict[str, Any]] | None) -> Any:
    """The responder config with its intents replaced (an openai responder becomes the
    embedded one: intents are the embedded responder's)."""
    if intents is None:
        return responder
    base = dict(responder) if isinstance(responder, dict) and responder.get("type", "knowledge") == "knowledge" else {}
    return {**base, "type": "knowledge", "intents": intents}


def _show_agent(agent: Agent, as_json: bool) -> None:
    if as_json:
        _print_json(agent.to_dict())
    else:
        _print_agent(agent)


def _print_agent(agent: Agent) -> None:
    typer.echo(f"{agent.id} {agent.name}")
    details = Table.grid(padding=(0, 2))
    details.add_row("Voice", agent.voice or "-")
    details.add_row("Greeting", agent.greeting or "-")
    details.add_row("Instructions", agent.instructions or "-")
    if agent.knowledge:
        first = agent.knowledge.strip().splitlines()[0]
        more = "…" if len(first) > 60 else ""
        details.add_row("Knowledge", f"{len(agent.knowledge)} characters: {first[:60]}{more}")
    if agent.voice_status and agent.voice_status != "ready":
        details.add_row("Voice status", agent.voice_status)
    details.add_row("Responder", json.dumps(agent.responder) if agent.responder is not None else "-")
    details.add_row("Turn detection", json.dumps(agent.turn_detection) if agent.turn_detection is not None else "-")
    details.add_row("Created", _when(agent.created_at))
    out.print(details)


NameOpt = Annotated[str | None, typer.Option("--name", help="Agent name.")]
VoiceOpt = Annotated[str | None, typer.Option("--voice", help="Stock voice or a ready clone id.")]
GreetingOpt = Annotated[str | None, typer.Option("--greeting", help="First thing the agent says.")]
InstructionsOpt = Annotated[str | None, typer.Option("--instructions", help="How the agent behaves.")]
KnowledgeOpt = Annotated[
    str | None,
    typer.Option("--knowledge", help="Facts the agent answers questions from: the text, or @file."),
]
IntentOpt = Annotated[
    list[str] | None,
    typer.Option("--intent", help='A fixed answer: "example | another example -> answer" (repeatable; '
                                  "replaces the agent's intents)."),
]
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
    knowledge: KnowledgeOpt = None,
    intent: IntentOpt = None,
    json_body: JsonBodyOpt = None,
    json_flag: JsonFlag = False,
) -> None:
    """Create an agent; prints '<agent id> <name>'."""
    as_json = _wants_json(ctx, json_flag)
    body = _json_body(json_body) or {}
    if name is None and "name" not in body:
        _usage_error('--name (or a "name" in --json-body) is required.')
    knowledge = _knowledge(knowledge)
    if knowledge is not None:
        body["knowledge"] = knowledge
    intents = _intents(intent)
    if intents is not None:
        body["responder"] = _with_intents(body.get("responder"), intents)
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        agent = pyai.agents.create(
            name=name if name is not None else body.pop("name"),
            voice=voice,
            greeting=greeting,
            instructions=instructions,
            extra_body=body,
        )
    _show_agent(agent, as_json)


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
        agents, has_more = _fetch(pyai.agents.list(limit=limit, after=after), all_pages)
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
    _show_agent(agent, as_json)


@agents_app.command("update")
def agents_update(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(metavar="ID")],
    name: NameOpt = None,
    voice: VoiceOpt = None,
    greeting: GreetingOpt = None,
    instructions: InstructionsOpt = None,
    knowledge: KnowledgeOpt = None,
    intent: IntentOpt = None,
    json_body: JsonBodyOpt = None,
    json_flag: JsonFlag = False,
) -> None:
    """Change the given fields only. A new voice applies from the next session."""
    as_json = _wants_json(ctx, json_flag)
    body = _json_body(json_body) or {}
    fields = {"name": name, "voice": voice, "greeting": greeting, "instructions": instructions}
    given = {k: v for k, v in fields.items() if v is not None}
    knowledge = _knowledge(knowledge)
    if knowledge is not None:
        body["knowledge"] = knowledge
    intents = _intents(intent)
    if not given and not body and intents is None:
        _usage_error("Nothing to update: pass --name, --voice, --greeting, --instructions, --knowledge, "
                     "--intent or --json-body.")
    pyai = _state(ctx).client()
    with _api_errors(as_json):
        if intents is not None:
            current = body.get("responder", pyai.agents.get(agent_id).responder)
            body["responder"] = _with_intents(current, intents)
        agent = pyai.agents.update(
            agent_id,
            name=given.get("name", NOT_GIVEN),
            voice=given.get("voice", NOT_GIVEN),
            greeting=given.get("greeting", NOT_GIVEN),
            instructions=given.get("instructions", NOT_GIVEN),
            extra_body=body,
        )
    _show_agent(agent, as_json)


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
