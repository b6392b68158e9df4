"""The storage interface every backend implements, and the records that cross it.

Objects (voices, agents) are JSON documents owned by a tenant; reads take the tenant so
another tenant's id looks exactly like a missing one. Jobs are a visibility-timeout
queue: a claimed job reappears after its lease unless completed, so a crashed or
restarted worker never leaves a voice stuck in `pending`; a job whose lease has not run
out counts as running for its tenant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass
class ApiKey:
    id: str
    tenant: str
    hash: str
    scopes: list[str]
    name: str = ""
    created_at: int = 0
    revoked: bool = False
    # Ephemeral client secrets (`ek_...`): bound to one agent, expire.
    expires_at: int | None = None
    agent: str | None = None
    parent: str | None = None  # the key that minted this client secret

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ApiKey:
        return cls(**d)

    def public(self) -> dict[str, Any]:
        d = self.to_dict()
        d.pop("hash")
        return d


@dataclass
class Page:
    data: list[dict[str, Any]] = field(default_factory=list)
    has_more: bool = False


@dataclass
class ClaimedJob:
    voice_id: str
    attempts: int


class Store(Protocol):
    """Backends: :class:`~agent_server.stores.sqlite.SQLiteStore` (embedded default)
    and :class:`~agent_server.stores.redis.RedisStore` (shared by many processes)."""

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...

    # Tenants
    async def ensure_tenant(self, tenant: str) -> None: ...
    async def list_tenants(self) -> list[str]: ...

    # Keys
    async def put_key(self, key: ApiKey) -> None: ...
    async def key_by_hash(self, key_hash: str) -> ApiKey | None: ...
    async def get_key(self, key_id: str) -> ApiKey | None: ...
    async def list_keys(self, tenant: str | None = None) -> list[ApiKey]: ...
    async def revoke_key(self, key_id: str) -> bool: ...
    async def count_keys(self) -> int: ...
    async def purge_expired_keys(self, before: float) -> int:
        """Drop client secrets that expired before ``before``; they can never work again."""
        ...

    # Tenant-owned objects, kind in {"voice", "agent"}
    async def insert(self, kind: str, tenant: str, obj_id: str, doc: dict[str, Any]) -> None: ...
    async def replace(self, kind: str, tenant: str, obj_id: str, doc: dict[str, Any]) -> bool:
        """Overwrite only if the object still exists (a deleted voice stays deleted)."""
        ...
    async def get(self, kind: str, tenant: str, obj_id: str) -> dict[str, Any] | None: ...
    async def get_any(self, kind: str, obj_id: str) -> tuple[str, dict[str, Any]] | None: ...
    async def list(self, kind: str, tenant: str, limit: int, after: str | None) -> Page: ...
    async def delete(self, kind: str, tenant: str, obj_id: str) -> bool: ...

    # Blobs (reference clips, voice profiles)
    async def put_blob(self, key: str, data: bytes) -> None: ...
    async def get_blob(self, key: str) -> bytes | None: ...
    async def delete_blob(self, key: str) -> None: ...

    # Enrollment jobs
    async def insert_with_job(self, tenant: str, voice_id: str, doc: dict[str, Any]) -> None:
        """A new pending voice and its enrollment job, written together or not at all (a
        crash between two writes would leave a voice pending forever, or a job for nothing)."""
        ...
    async def enqueue_job(self, voice_id: str, tenant: str = "") -> None: ...
    async def claim_job(self, lease_s: float, per_tenant: int = 0) -> ClaimedJob | None:
        """The next job, fairly across tenants: among visible jobs, one of the tenant with
        the fewest jobs running (oldest first within it), skipping tenants already running
        ``per_tenant`` (0: no cap). A burst from one tenant so never queues another
        tenant's first clip behind more than the clip already running."""
        ...
    async def extend_job(self, voice_id: str, lease_s: float) -> None:
        """Push a running job's lease out, so a slow enrollment isn't claimed twice."""
        ...
    async def complete_job(self, voice_id: str) -> None: ...
    async def pending_jobs(self) -> int: ...
