"""What may end a live session from outside it: its voice deleted, its key (or the key
behind its client secret) revoked or expired, or the session's maximum age reached.

The session was opened with all of these valid; nothing about the session itself would
notice them change, so a guard per session looks at the store while it runs and, on a
change, sends the client an ``error`` event and closes it (the caller hears the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from agent_server.auth import key_problem
from agent_server.profiles import STOCK_VOICES

if TYPE_CHECKING:
    from agent_server.realtime.opening import Opened
    from agent_server.realtime.session import RealtimeSession

log = logging.getLogger("agent_server.realtime")
VOICE_CHECK_S = 0.5  # a deleted voice stops speaking within about this
KEY_CHECK_S = 2.0
CLOSE_GRACE_S = 2.0  # time for the error event and the close to reach the client


async def guard(opened: Opened, session: RealtimeSession) -> None:
    ctx = opened.ctx
    max_s = ctx.settings.realtime.max_session_s
    deadline = time.monotonic() + max_s if max_s > 0 else None
    next_key = 0.0
    while not session.closing:
        await asyncio.sleep(VOICE_CHECK_S)
        reason: tuple[str, str] | None = None
        try:
            if opened.voice not in STOCK_VOICES and await _voice_gone(opened):
                reason = ("voice_deleted", f"The agent's voice '{opened.voice}' was deleted; the session "
                          "was ended. Give the agent another voice and open a new session.")
            elif time.monotonic() >= next_key:
                next_key = time.monotonic() + KEY_CHECK_S
                problem = await key_problem(ctx.store, opened.who.key_id)
                if problem:
                    reason = ("session_credential_invalid", f"{problem} The session was ended.")
            if reason is None and deadline is not None and time.monotonic() >= deadline:
                reason = ("session_max_length", f"Sessions last at most {max_s:.0f} s; open a new one "
                          "to go on talking.")
        except Exception as exc:  # a store hiccup is no reason to drop a call
            log.debug("session %s guard check failed: %s", session.id, exc)
            continue
        if reason is not None:
            await end(session, *reason)
            return


async def end(session: RealtimeSession, code: str, message: str) -> None:
    """Tell the client why, then close: through the session's own outbound queue, so
    the error goes out before the close; the transport's loop then ends the session."""
    log.info("session %s ended: %s", session.id, code)
    session.end(code, message)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(session.closed.wait(), CLOSE_GRACE_S)
    if not session.closed.is_set():
        await session.close()


async def _voice_gone(opened: Opened) -> bool:
    doc = await opened.ctx.store.get("voice", opened.who.tenant, opened.voice)
    return doc is None or doc.get("status") != "ready"
