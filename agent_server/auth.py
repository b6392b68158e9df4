"""API keys, tenants and scopes.

Keys are random 192-bit secrets, so a plain SHA-256 is a sound at-rest hash (no
dictionary to attack) and lets a lookup go straight to the record. The clear key is
shown once, at creation, and never stored or logged.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from agent_server.errors import Forbidden, TooManyRequests, Unauthorized
from agent_server.ids import new_id
from agent_server.stores.base import ApiKey, Store

SCOPES = ("voice:clone", "voice:read", "audio:speech", "agents:read", "agents:write", "realtime", "*")
# A scope grants itself and what it implies (API.md).
IMPLIES = {"voice:clone": {"voice:read"}, "agents:write": {"agents:read"}}


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_scopes(scopes: list[str]) -> list[str]:
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise ValueError(f"unknown scope(s) {', '.join(bad)}; known: {', '.join(SCOPES)}")
    return scopes


@dataclass(frozen=True)
class Principal:
    tenant: str
    scopes: frozenset[str]
    key_id: str
    agent: str | None = None  # set for ephemeral client secrets

    def has(self, scope: str) -> bool:
        if "*" in self.scopes or scope in self.scopes:
            return True
        return any(scope in IMPLIES.get(s, ()) for s in self.scopes)

    def require(self, scope: str) -> None:
        if not self.has(scope):
            raise Forbidden(
                f"This key lacks the '{scope}' scope. Create a key with it "
                f"(agent-server keys create --tenant {self.tenant} --scopes {scope})."
            )


async def create_key(
    store: Store, tenant: str, scopes: list[str], name: str = "",
    *, ttl_s: int | None = None, agent: str | None = None, parent: str | None = None,
) -> tuple[str, ApiKey]:
    validate_scopes(scopes)
    prefix = "ek_" if ttl_s else "sk-"
    secret = prefix + secrets.token_urlsafe(24)
    now = int(time.time())
    key = ApiKey(
        id=new_id("key", 16), tenant=tenant, hash=hash_key(secret), scopes=scopes, name=name,
        created_at=now, expires_at=now + ttl_s if ttl_s else None, agent=agent, parent=parent,
    )
    await store.put_key(key)
    return secret, key


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    # Browsers can't set headers on a WebSocket: the subprotocol carries the secret,
    # the way OpenAI's realtime clients do it.
    for proto in conn.headers.get("sec-websocket-protocol", "").split(","):
        proto = proto.strip()
        if proto.startswith("openai-insecure-api-key."):
            return proto.split(".", 1)[1]
    return None


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


async def authenticate(conn: HTTPConnection, store: Store, secret: str | None = None) -> Principal:
    """The caller, counted against the per-key request rate; failures are counted per
    client address, and an address past its failure budget is refused before any lookup."""
    ctx = getattr(conn.app.state, "ctx", None)
    if ctx is None or ctx.limiter is None:
        return await _authenticate(conn, store, secret)
    limiter = ctx.limiter
    lim = ctx.settings.limits
    address = client_address(conn)
    wait = await limiter.over("failed_auth_limit", lim.failed_auth_per_address_per_min, "minute", address)
    if wait is not None:
        raise TooManyRequests(f"Too many failed authentications from {address} (limit "
                              f"{lim.failed_auth_per_address_per_min} per minute); wait and retry "
                              "with a valid key.", code="failed_auth_limit", retry_after=wait)
    message = (f"This key is over its limit of {lim.requests_per_key_per_s} requests per second; "
               "slow down and retry after the Retry-After seconds.")
    # A key this process has just refused is refused again before any lookup.
    digest = hash_key(secret or bearer(conn) or "")
    wait = limiter.refused("key_rate_limit", digest)
    if wait is not None:
        raise TooManyRequests(message, code="key_rate_limit",
                              retry_after=await limiter.refusing("key_rate_limit", (digest,), wait))
    try:
        who = await _authenticate(conn, store, secret)
    except Unauthorized:
        await limiter.count_only("failed_auth_limit", lim.failed_auth_per_address_per_min, "minute", address)
        raise
    await limiter.hit("key_rate_limit", lim.requests_per_key_per_s, "second", who.key_id, message, also=digest)
    return who


async def _authenticate(conn: HTTPConnection, store: Store, secret: str | None = None) -> Principal:
    secret = secret or bearer(conn)
    if not secret:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
    # `ek-` is how client secrets were spelled before `ek_` (API.md); both still work.
    if not (secret.startswith(("sk-", "ek_", "ek-")) and 20 <= len(secret) <= 200):
        raise Unauthorized("Malformed API key.")
    key = await store.key_by_hash(hash_key(secret))
    if key is None or key.revoked:
        raise Unauthorized("Invalid or revoked API key.")
    if key.expires_at is not None and key.expires_at < time.time():
        raise Unauthorized("This client secret has expired; request a new one.", code="expired_secret")
    if key.parent is not None:
        # A client secret lives no longer than the key that minted it.
        parent = await store.get_key(key.parent)
        if parent is None or parent.revoked:
            raise Unauthorized("The API key that created this client secret was revoked.",
                               code="invalid_api_key")
    return Principal(key.tenant, frozenset(key.scopes), key.id, key.agent)


async def key_problem(store: Store, key_id: str) -> str | None:
    """Why a key no longer works (revoked, expired, its parent key revoked), or None.
    Sessions opened with it check this while they run, so revoking a key ends them."""
    if key_id.startswith("telephony:"):
        return None  # checked through the agent: a rotated token ends nothing already open
    key = await store.get_key(key_id)
    if key is None or key.revoked:
        return "The key this session was opened with was revoked."
    if key.expires_at is not None and key.expires_at < time.time():
        return "The client secret this session was opened with has expired."
    if key.parent is not None:
        return await key_problem(store, key.parent)
    return None
