"""Embedded store: one SQLite file (WAL) plus blob files, under the data dir.

Every call runs on the store's one thread, off the event loop: a query that waits for
the CLI's write lock (up to the 10 s timeout) or a 25 MB blob must not stall every
session's audio. One thread also keeps the connection's use serial. WAL lets the CLI
(`keys create`) write while a server is reading.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from agent_server.stores.base import ApiKey, ClaimedJob, Page

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS objects_by_tenant ON objects (kind, tenant, seq);
CREATE TABLE IF NOT EXISTS jobs (
    voice_id TEXT PRIMARY KEY, visible_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    tenant TEXT NOT NULL DEFAULT '');
"""
# The oldest visible job of the tenant with the fewest running (leased) jobs.
_FAIR_CLAIM = """
UPDATE jobs SET visible_at = :until, attempts = attempts + 1 WHERE voice_id = (
  SELECT j.voice_id FROM jobs j
  LEFT JOIN (SELECT tenant, COUNT(*) AS n FROM jobs WHERE visible_at > :now GROUP BY tenant) r
    ON r.tenant = j.tenant
  WHERE j.visible_at <= :now AND (:cap <= 0 OR COALESCE(r.n, 0) < :cap)
  ORDER BY COALESCE(r.n, 0), j.visible_at, j.rowid LIMIT 1)
RETURNING voice_id, attempts
"""


T = TypeVar("T")


def _io(fn: Callable[..., T]) -> Callable[..., Coroutine[Any, Any, T]]:
    """The blocking method ``fn`` as a coroutine run on the store's thread."""

    @functools.wraps(fn)
    async def call(self: SQLiteStore, *args: Any, **kwargs: Any) -> T:
        job = functools.partial(fn, self, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._thread, job)

    return call


class SQLiteStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.root = Path(data_dir)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.blob_dir = self.root / "blobs"
        self.blob_dir.mkdir(mode=0o700, exist_ok=True)
        db_path = self.root / "agent_server.db"
        # Key hashes, telephony tokens and voices: readable by the server's user only.
        # SQLite gives the -wal and -shm files the database file's mode.
        os.close(os.open(db_path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(db_path, 0o600)
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        if "tenant" not in {r[1] for r in self.db.execute("PRAGMA table_info(jobs)")}:
            self.db.execute("ALTER TABLE jobs ADD COLUMN tenant TEXT NOT NULL DEFAULT ''")  # older files
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite")

    @_io
    def ping(self) -> bool:
        self.db.execute("SELECT 1").fetchone()
        return True

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self.db.close)
        self._thread.shutdown(wait=False)

    @_io
    def ensure_tenant(self, tenant: str) -> None:
        self._ensure_tenant(tenant)

    def _ensure_tenant(self, tenant: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)", (tenant, int(time.time()))
        )

    @_io
    def list_tenants(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM tenants ORDER BY name")]

    @_io
    def put_key(self, key: ApiKey) -> None:
        self._ensure_tenant(key.tenant)
        self.db.execute(
            "INSERT OR REPLACE INTO api_keys (id, hash, tenant, doc) VALUES (?, ?, ?, ?)",
            (key.id, key.hash, key.tenant, json.dumps(key.to_dict())),
        )

    @_io
    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self.db.execute("SELECT doc FROM api_keys WHERE hash = ?", (key_hash,)).fetchone()
        return ApiKey.from_dict(json.loads(row[0])) if row else None

    @_io
    def get_key(self, key_id: str) -> ApiKey | None:
        row = self.db.execute("SELECT doc FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return ApiKey.from_dict(json.loads(row[0])) if row else None

    @_io
    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        return self._list_keys(tenant)

    def _list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        if tenant:
            rows = self.db.execute("SELECT doc FROM api_keys WHERE tenant = ? ORDER BY id", (tenant,))
        else:
            rows = self.db.execute("SELECT doc FROM api_keys ORDER BY id")
        return [ApiKey.from_dict(json.loads(r[0])) for r in rows]

    @_io
    def revoke_key(self, key_id: str) -> bool:
        row = self.db.execute("SELECT doc FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if not row:
            return False
        key = ApiKey.from_dict(json.loads(row[0]))
        key.revoked = True
        self.db.execute("UPDATE api_keys SET doc = ? WHERE id = ?", (json.dumps(key.to_dict()), key_id))
        return True

    @_io
    def count_keys(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM api_keys").fetchone()[0])

    @_io
    def purge_expired_keys(self, before: float) -> int:
        dead = [k.id for k in self._list_keys() if k.expires_at is not None and k.expires_at < before]
        for key_id in dead:
            self.db.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
        return len(dead)

    @_io
    def insert(self, kind: str, tenant: str, obj_id: str, doc: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO objects (kind, id, tenant, doc) VALUES (?, ?, ?, ?)",
            (kind, obj_id, tenant, json.dumps(doc)),
        )

    @_io
    def replace(self, kind: str, tenant: str, obj_id: str, doc: dict[str, Any]) -> bool:
        cur = self.db.execute(
            "UPDATE objects SET doc = ? WHERE kind = ? AND tenant = ? AND id = ?",
            (json.dumps(doc), kind, tenant, obj_id),
        )
        return cur.rowcount > 0

    @_io
    def get(self, kind: str, tenant: str, obj_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT doc FROM objects WHERE kind = ? AND tenant = ? AND id = ?", (kind, tenant, obj_id)
        ).fetchone()
        return json.loads(row[0]) if row else None

    @_io
    def get_any(self, kind: str, obj_id: str) -> tuple[str, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT tenant, doc FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    @_io
    def list(self, kind: str, tenant: str, limit: int, after: str | None) -> Page:
        args: list[Any] = [kind, tenant]
        where = "kind = ? AND tenant = ?"
        if after:
            row = self.db.execute(
                "SELECT seq FROM objects WHERE kind = ? AND tenant = ? AND id = ?", (kind, tenant, after)
            ).fetchone()
            if row is None:
                return Page([], False)
            where += " AND seq < ?"
            args.append(row[0])
        rows = self.db.execute(
            f"SELECT doc FROM objects WHERE {where} ORDER BY seq DESC LIMIT ?", (*args, limit + 1)
        ).fetchall()
        docs = [json.loads(r[0]) for r in rows]
        return Page(docs[:limit], len(docs) > limit)

    @_io
    def delete(self, kind: str, tenant: str, obj_id: str) -> bool:
        cur = self.db.execute(
            "DELETE FROM objects WHERE kind = ? AND tenant = ? AND id = ?", (kind, tenant, obj_id)
        )
        return cur.rowcount > 0

    def _blob_path(self, key: str) -> Path:
        safe = key.replace("/", "_")
        return self.blob_dir / safe

    @_io
    def put_blob(self, key: str, data: bytes) -> None:
        path = self._blob_path(key)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # a person's voice
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    @_io
    def get_blob(self, key: str) -> bytes | None:
        path = self._blob_path(key)
        return path.read_bytes() if path.exists() else None

    @_io
    def delete_blob(self, key: str) -> None:
        self._blob_path(key).unlink(missing_ok=True)

    @_io
    def insert_with_job(self, tenant: str, voice_id: str, doc: dict[str, Any]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT INTO objects (kind, id, tenant, doc) VALUES ('voice', ?, ?, ?)",
                            (voice_id, tenant, json.dumps(doc)))
            self.db.execute("INSERT OR REPLACE INTO jobs (voice_id, visible_at, attempts, tenant) "
                            "VALUES (?, ?, 0, ?)", (voice_id, time.time(), tenant))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @_io
    def enqueue_job(self, voice_id: str, tenant: str = "") -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO jobs (voice_id, visible_at, attempts, tenant) VALUES (?, ?, 0, ?)",
            (voice_id, time.time(), tenant),
        )

    @_io
    def claim_job(self, lease_s: float, per_tenant: int = 0) -> ClaimedJob | None:
        now = time.time()
        row = self.db.execute(_FAIR_CLAIM, {"until": now + lease_s, "now": now, "cap": per_tenant}).fetchone()
        return ClaimedJob(row[0], int(row[1])) if row else None

    @_io
    def extend_job(self, voice_id: str, lease_s: float) -> None:
        self.db.execute("UPDATE jobs SET visible_at = ? WHERE voice_id = ?", (time.time() + lease_s, voice_id))

    @_io
    def complete_job(self, voice_id: str) -> None:
        self.db.execute("DELETE FROM jobs WHERE voice_id = ?", (voice_id,))

    @_io
    def pending_jobs(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
