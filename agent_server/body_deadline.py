"""A deadline on each request's body: a minimum average rate after a grace period.

The head has its deadline in the HTTP protocol (:mod:`agent_server.http_guard`). The body
is the endpoint's to read, through ASGI ``receive``, and nothing bounded how long that
takes: a client trickling an upload a few bytes a second, or stopping short of its
``Content-Length``, held the connection, the part of the body buffered so far and (for
an upload) one of the process's upload slots for as long as it liked.

So every ``receive`` of a body waits only until the time spent waiting for the client
reaches ``grace_s + bytes received / min_rate``. Only the time the endpoint is waiting
for bytes counts, never the time it spends on its own work (auth, a store round trip;
uvicorn stops reading the socket after 64 KB meanwhile, so the client is not to blame).
An upload that keeps up ``min_rate`` on average is never cut, however large; a trickle,
or a body that stops, spends its budget and is answered 408 ``body_timeout`` with
``Connection: close``. Had the endpoint already begun its answer, the exception ends the
response and uvicorn closes the connection.

Plain ASGI, so it sees every body the endpoints read (JSON, multipart, SDP) and its 408
goes through the app's one error path.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_server.errors import RequestTimeout


class BodyDeadlineMiddleware:
    def __init__(self, app: ASGIApp, grace_s: float, min_rate_bytes_s: int) -> None:
        self.app = app
        self.grace_s = grace_s
        self.min_rate = max(1, min_rate_bytes_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.grace_s <= 0:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        waited = 0.0
        received = 0
        complete = False

        async def guarded() -> Message:
            nonlocal waited, received, complete
            if complete:
                return await receive()
            budget = self.grace_s + received / self.min_rate - waited
            started = loop.time()
            try:
                async with asyncio.timeout(max(0.0, budget)):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"The request body arrived too slowly (under {self.min_rate} bytes a second "
                    f"after {self.grace_s:g} s); send it at a steady rate.") from None
            finally:
                waited += loop.time() - started
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
            else:  # http.disconnect
                complete = True
            return message

        await self.app(scope, guarded, send)
