"""First start on an empty store: tenant `default` and one all-scopes key, written to a
file only the server's user can read (never printed: stdout usually ends up in a log)."""

from __future__ import annotations

import os
from pathlib import Path

from agent_server.auth import create_key
from agent_server.config import Settings
from agent_server.stores.base import Store

BOOTSTRAP_FILE = "bootstrap-key.txt"


async def ensure_bootstrap_key(store: Store, settings: Settings) -> Path | None:
    """The file the new key was written to, or None when the store already had keys."""
    if await store.count_keys() > 0:
        return None
    await store.ensure_tenant("default")
    secret, _ = await create_key(store, "default", ["*"], name="bootstrap")
    path = Path(settings.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    target = path / BOOTSTRAP_FILE
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    os.chmod(target, 0o600)
    return target
