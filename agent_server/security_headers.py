"""Headers that keep a browser from being turned against the console: the console page
holds a full API key, so it must not be framed (clickjacking), sniffed into another
type, or allowed to load or send to anything but this server.

Scripts and styles come only from this server's files: no inline script, event-handler
attribute or style attribute runs, so markup injected into a page (a voice or agent name
that slipped past escaping) can't read the key. The pages keep all their code and style
in static/*.js and style.css for this. Everything else is same-origin only
(``connect-src 'self'`` covers the API, the realtime WebSocket and WebRTC signalling;
``blob:``/``data:`` media is synthesized audio played back).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data: blob:; media-src 'self' data: blob:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
ALWAYS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        await self.app(scope, receive, send_wrapper)
