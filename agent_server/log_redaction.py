"""No secret reaches a log: one filter, on every handler the server writes through.

Credentials can arrive where no code of ours decides what is logged: a Twilio stream
URL carries ``?token=``, uvicorn's access log and its WebSocket lines print the whole
path, and an exception's text may quote a header. So the filter rewrites every record
after formatting it: query strings are dropped from request lines, and anything shaped
like one of our secrets (``sk-``, ``ek_``/``ek-``, ``tel_``, a ``token=`` value) is
replaced by its prefix and ``[redacted]``.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_REQUEST_LINE = re.compile(
    r"((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|WebSocket)\s+/[^\s\"?]*)\?[^\s\"]*")
_SECRETS = (
    (re.compile(r"(?i)((?:token|key|secret|api_key|client_secret)=)[^&\s\"']+"), r"\1" + REDACTED),
    (re.compile(r"\b(sk-|ek_|ek-|tel_)[A-Za-z0-9_\-]{6,}"), r"\1" + REDACTED),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1" + REDACTED),
    (re.compile(r"(openai-insecure-api-key\.)[^\s\"',]+"), r"\1" + REDACTED),
)
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "agent_server")


def redact(text: str) -> str:
    """The text with query strings cut from request lines and secrets masked."""
    text = _REQUEST_LINE.sub(r"\1", text)
    for pattern, repl in _SECRETS:
        text = pattern.sub(repl, text)
    return text


def _clean_arg(arg: object) -> object:
    if isinstance(arg, bool | int | float) or arg is None:
        return arg
    text = str(arg)
    if isinstance(arg, str) and text.startswith("/") and "?" in text:
        text = text.split("?", 1)[0]  # a request path (uvicorn's access log): no query
    clean = redact(text)
    if not isinstance(arg, str) and clean == text:
        return arg  # keep the object (and its %r) when it holds no secret
    return clean


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Each argument is cleaned in place, so formatters that read ``args`` by
        # position (uvicorn's access formatter) keep working.
        if isinstance(record.args, tuple):
            record.args = tuple(_clean_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean_arg(v) for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            record.msg = redact(str(record.msg))
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            message = None
        if message is not None and record.name != "uvicorn.access" and redact(message) != message:
            record.msg, record.args = redact(message), ()  # a secret formed across arguments
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def install() -> None:
    """Put the filter on the server's loggers and on every handler they write to
    (a logger's filter does not see records that propagate to it from below)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
