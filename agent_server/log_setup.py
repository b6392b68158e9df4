"""The server's logging, set up once uvicorn has configured its loggers: secrets
redacted everywhere (:mod:`.log_redaction`), and refused WebSocket upgrades logged as
what they are.

uvicorn's websockets-sansio protocol logs "ASGI callable returned without completing
handshake" at ERROR after an application answered an upgrade with a plain HTTP denial
(the ASGI denial-response extension; its legacy protocol does not). Every realtime
refusal (bad key, limit reached, store down) goes that way, so each would look like a
server fault; the line is kept, at INFO. A real fault in the handler is logged by
uvicorn as "Exception in ASGI application", untouched.
"""

from __future__ import annotations

import logging

from agent_server import log_redaction

_DENIED_UPGRADE = "ASGI callable returned without completing handshake."


class DeniedUpgradeFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and record.msg == _DENIED_UPGRADE:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "WebSocket upgrade answered with an HTTP refusal"
        return True


def install() -> None:
    log_redaction.install()
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DeniedUpgradeFilter) for f in error_log.filters):
        error_log.addFilter(DeniedUpgradeFilter())
