"""A deadline on a request's head, and the uvicorn settings built from ``[http]``.

uvicorn has no request-header timeout: its keep-alive timer is only armed after a
response and is reset by every byte received, so a client that trickles its request
line and headers a byte at a time, or opens a connection and sends nothing, holds the
connection and its buffers for as long as it likes. A few hundred of them take every
connection the host will accept (slowloris). An ASGI middleware can't help: it only
runs once the head has been parsed.

So the guard sits in uvicorn's HTTP protocol. Its deadline is armed when a connection
opens and when the first byte of a next request arrives on a kept-alive one, and
disarmed once a request head has been parsed (from there the body and the response
are the application's and its limits' business) or the connection became a WebSocket.
When it expires the connection is closed. The protocol underneath is the one uvicorn
would pick by itself (httptools when installed, h11 otherwise).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from agent_server.config import Settings

log = logging.getLogger(__name__)


def head_deadline_protocol(timeout_s: float, base: type[asyncio.Protocol] = AutoHTTPProtocol
                           ) -> type[asyncio.Protocol]:
    """``base`` (one of uvicorn's HTTP protocols) with a ``timeout_s`` bound on the time
    a client may take to send each request's head."""

    class HeadDeadline(base):  # type: ignore[misc, valid-type]
        _head_timer: asyncio.TimerHandle | None = None
        _armed_during: Any = None  # the request cycle current when the deadline was armed

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the first byte of a next request on a kept-alive connection
            super().data_received(data)
            if self._head_timer is not None and self.cycle is not self._armed_during:
                self._disarm()  # a new request's head was parsed

        def handle_websocket_upgrade(self, *args: Any) -> Any:
            self._disarm()
            return super().handle_websocket_upgrade(*args)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._armed_during = self.cycle
            self._head_timer = self.loop.call_later(timeout_s, self._expired)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _expired(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                log.info("closed a connection that sent no complete request head within %.1f s", timeout_s)
                self.transport.close()

    HeadDeadline.__name__ = HeadDeadline.__qualname__ = f"HeadDeadline{base.__name__}"
    return HeadDeadline


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The one place the server's connection handling is set, for ``serve`` and the
    in-process servers of the tests alike."""
    http = settings.http
    if http.header_timeout_s > 0:
        options.setdefault("http", head_deadline_protocol(http.header_timeout_s))
    return uvicorn.Config(app, timeout_keep_alive=http.keep_alive_timeout_s, **options)
