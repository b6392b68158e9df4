"""`agent-server`: run the server, manage API keys."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from agent_server.config import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Self-hosted realtime voice server.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")
app.add_typer(keys_app, name="keys")

ConfigOpt = Annotated[str | None, typer.Option("--config", help="TOML file overriding configs/default.toml")]


def _settings(config: str | None, **overrides: Any) -> Settings:
    return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    config: ConfigOpt = None,
) -> None:
    """Start the HTTP API, realtime endpoints, enrollment worker and console."""
    import logging

    import uvicorn

    from agent_server import log_setup
    from agent_server.app import create_app
    from agent_server.http_guard import uvicorn_config

    settings = _settings(config, host=host, port=port)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    where = f"Redis {settings.redis_url}" if settings.redis_url else f"SQLite in {settings.data_dir}"
    print(f"agent-server on http://{settings.host}:{settings.port} (store: {where})", flush=True)
    server_config = uvicorn_config(create_app(settings), settings, host=settings.host, port=settings.port,
                                   log_level=settings.log_level, ws_max_size=4 * 1024 * 1024)
    # uvicorn sets up its loggers while building the config; the filter goes on after.
    log_setup.install()
    uvicorn.Server(server_config).run()


async def _with_store(settings: Settings, fn: Any) -> Any:
    from agent_server.stores import open_store

    store = open_store(settings)
    try:
        return await fn(store)
    finally:
        await store.close()


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant the key belongs to (created if new)")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: voice:clone,voice:read,audio:speech,"
                                              "agents:read,agents:write,realtime,*")],
    name: Annotated[str, typer.Option(help="A label for the key")] = "",
    config: ConfigOpt = None,
) -> None:
    """Create a key; the key itself is printed alone on the last line."""
    from agent_server.auth import create_key, validate_scopes

    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    try:
        validate_scopes(scope_list)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not scope_list:
        typer.echo("error: give at least one scope", err=True)
        raise typer.Exit(2)
    secret, key = asyncio.run(_with_store(_settings(config), lambda s: create_key(s, tenant, scope_list, name)))
    typer.echo(f"Created {key.id} for tenant {tenant} with scopes {','.join(scope_list)}")
    typer.echo(secret)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    config: ConfigOpt = None,
) -> None:
    """List keys (never the secrets themselves)."""
    keys = asyncio.run(_with_store(_settings(config), lambda s: s.list_keys(tenant)))
    if as_json:
        typer.echo(json.dumps([k.public() for k in keys], indent=2))
        return
    for k in keys:
        state = "revoked" if k.revoked else "active"
        typer.echo(f"{k.id}\t{k.tenant}\t{','.join(k.scopes)}\t{state}\t{k.name}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id (key_...)")], config: ConfigOpt = None) -> None:
    """Revoke a key: it stops working at once, on every server process."""
    ok = asyncio.run(_with_store(_settings(config), lambda s: s.revoke_key(key_id)))
    if not ok:
        typer.echo(f"error: no key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked {key_id}")


def main() -> None:
    app()
