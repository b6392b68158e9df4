"""The life of one connection, the same for every transport: the session starts once
the peer is ready, is guarded while it runs, is fed by the transport until the peer
leaves or the session closes itself, and then the session, the connection and the
session slot are given back, in that order and whatever went wrong.

A transport accepts its connection and opens the session (:func:`..opening.open_session`)
its own way; from there on it only supplies ``receive``, the loop that turns its wire's
messages into :meth:`RealtimeSession.handle_event` / :meth:`RealtimeSession.push_audio`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocketDisconnect

from agent_server.realtime.opening import Opened
from agent_server.realtime.session import RealtimeSession
from agent_server.realtime.transports.base import Transport

log = logging.getLogger("agent_server.realtime")

# What a peer that went away looks like from a receive loop: a disconnect, a read on a
# closed socket (RuntimeError), a message that is not JSON where JSON is required.
PEER_GONE = (WebSocketDisconnect, RuntimeError, ValueError)


Receive = Callable[[RealtimeSession], Awaitable[None]]


def new_session(opened: Opened, transport: Transport) -> RealtimeSession:
    return RealtimeSession(resources=opened.res, agent=opened.agent, profile=opened.profile,
                           transport=transport, voice=opened.voice)


async def serve(opened: Opened, transport: Transport, receive: Receive, *,
                accept: Callable[[], Awaitable[bool]] | None = None, session: RealtimeSession | None = None) -> None:
    """Run a session on ``transport`` until ``receive`` returns (the peer left) or the
    session closes (idle, guard, the agent hung up, a failed write).

    ``accept``: accept the connection or wait for the peer; False: it never came and
    nothing starts. ``session``: one made beforehand (WebRTC wires its callbacks to it
    before the peer connects); otherwise it is made here."""
    try:
        try:
            if accept is None or await accept():
                session = session or new_session(opened, transport)
                await session.start()
                opened.watch(session)
                await _until_closed(session, receive)
        except PEER_GONE:
            pass
        finally:
            if session is not None:
                await session.close()
            await transport.close()
    finally:
        await opened.release()


async def _until_closed(session: RealtimeSession, receive: Receive) -> None:
    feed = asyncio.ensure_future(receive(session))
    closed = asyncio.ensure_future(session.closed.wait())
    try:
        await asyncio.wait({feed, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (feed, closed):
            t.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closed
    if feed.done() and not feed.cancelled():
        feed.result()  # a receive loop's own failure, PEER_GONE or worse, is the caller's
    else:
        with contextlib.suppress(asyncio.CancelledError, *PEER_GONE):
            await feed
