"""What a client that sends its request body too slowly gets, on a real socket: a body
trickled a byte at a time, or one that stops short of its Content-Length, is answered
408 ``body_timeout`` and the connection closed, and an upload trickled that way gives its
upload slot back; an upload at a steady rate above ``http.body_min_rate_bytes_s`` goes
through however long it takes. Where the answer had already begun, the connection is
closed instead."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile as sf
from starlette.types import Receive, Scope, Send

from agent_server.body_deadline import BodyDeadlineMiddleware
from tests.conftest import free_port
from tests.server.inproc import Server, serve

GRACE_S = 2.0
MIN_RATE = 1000  # bytes a second


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(str(tmp_path_factory.mktemp("body")),
                     http={"body_grace_s": GRACE_S, "body_min_rate_bytes_s": MIN_RATE},
                     limits={"max_concurrent_uploads": 1})


def _socket(base_url: str) -> socket.socket:
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port))
    sock.settimeout(0.1)
    return sock


def _head(path: str, key: str, ctype: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {length}\r\n\r\n").encode()


def _trickle(sock: socket.socket, body: bytes, chunk: int, pause_s: float, give_up_s: float = 30.0
             ) -> tuple[int, bytes]:
    """Send ``body`` ``chunk`` bytes at a time, ``pause_s`` apart, until it is all sent, the
    server answers or closes, or ``give_up_s`` has passed; the bytes sent and whatever
    the server answered."""
    sent, answer = 0, b""
    sock.settimeout(pause_s)
    stop = time.monotonic() + give_up_s
    while sent < len(body) and time.monotonic() < stop:
        try:
            sock.sendall(body[sent:sent + chunk])
        except OSError:
            break
        sent += chunk
        try:
            answer = sock.recv(65536)  # waits pause_s when there is no answer
        except TimeoutError:
            continue
        except ConnectionError:
            break
        break  # an answer (or b"": closed) before the body was complete
    return min(sent, len(body)), answer


def _answer(sock: socket.socket, within_s: float = 30.0) -> bytes:
    sock.settimeout(within_s)
    try:
        return sock.recv(65536)
    except (TimeoutError, ConnectionError):
        return b""


def _closed(sock: socket.socket, within_s: float = 10.0) -> bool:
    sock.settimeout(within_s)
    try:
        while data := sock.recv(65536):
            del data
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def _response(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def _wav() -> bytes:
    t = np.arange(32000) / 16000
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000, subtype="PCM_16", format="WAV")
    return buf.getvalue()


def _multipart(wav: bytes) -> tuple[str, bytes]:
    b = "bodydeadlineboundary"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nslow\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + wav + f"\r\n--{b}--\r\n".encode()
    return f"multipart/form-data; boundary={b}", body


def test_a_trickled_json_body_gets_408_and_the_connection_closes(srv: Server) -> None:
    """One byte every 0.1 s (10 bytes a second against the 1000 asked for) would take
    minutes for this body; the server answers 408 once the grace is spent and closes."""
    body = json.dumps({"input": "A sentence. " * 30, "voice": "joe"}).encode()
    with _socket(srv.base_url) as sock:
        sock.sendall(_head("/v1/audio/speech", srv.key, "application/json", len(body)))
        sent, answer = _trickle(sock, body, 1, 0.1)
        assert sent < len(body) // 2, f"{sent} of {len(body)} bytes sent before the answer"
        status, headers, error = _response(answer)
        assert status == 408 and error["error"]["code"] == "body_timeout" and headers["connection"] == "close"
        assert _closed(sock)


def test_a_body_that_stops_short_gets_408(srv: Server) -> None:
    body = json.dumps({"name": "never finished", "instructions": "x" * 400}).encode()
    with _socket(srv.base_url) as sock:
        sock.sendall(_head("/v1/agents", srv.key, "application/json", len(body)) + body[:len(body) // 2])
        status, _, error = _response(_answer(sock))
        assert status == 408 and error["error"]["code"] == "body_timeout"
        assert _closed(sock)


def test_a_trickled_upload_is_cut_and_gives_its_slot_back(srv: Server) -> None:
    """The process reads one upload at a time here: while the trickle holds that slot
    another upload is refused, and once the trickle is cut an upload goes through."""
    ctype, body = _multipart(_wav())
    with _socket(srv.base_url) as slow:
        slow.sendall(_head("/v1/voice/clones", srv.key, ctype, len(body)) + body[:200])
        time.sleep(0.2)
        with srv.client() as c:
            held = c.post("/v1/voice/clones", data={"name": "other"}, files={"file": ("clip.wav", _wav())})
        assert held.status_code == 429 and held.json()["error"]["code"] == "upload_limit"
        sent, answer = _trickle(slow, body[200:], 1, 0.1)
        assert sent < len(body) // 2
        status, _, error = _response(answer)
        assert status == 408 and error["error"]["code"] == "body_timeout"
    with srv.client() as c:
        r = c.post("/v1/voice/clones", data={"name": "after"}, files={"file": ("clip.wav", _wav())})
    assert r.status_code == 201, r.text


def test_an_upload_at_a_steady_rate_over_the_minimum_goes_through(srv: Server) -> None:
    """~10 times the minimum rate, for several times the grace: never cut."""
    ctype, body = _multipart(_wav())  # ~64 KB: ~6.4 s at 10,000 bytes a second
    with _socket(srv.base_url) as sock:
        sock.sendall(_head("/v1/voice/clones", srv.key, ctype, len(body)))
        started = time.monotonic()
        sent, answer = _trickle(sock, body, 1000, 0.1)
        assert time.monotonic() - started > 2 * GRACE_S
        assert sent == len(body)
        status, _, doc = _response(answer or _answer(sock))
    assert status == 201 and doc["status"] == "pending"


def test_a_slow_body_after_the_answer_began_closes_the_connection() -> None:
    """An endpoint that starts streaming its answer before reading the body can't be
    answered 408 any more: the connection is closed instead."""
    import uvicorn

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"started\n", "more_body": True})
        while (message := await receive())["type"] == "http.request" and message["more_body"]:
            await send({"type": "http.response.body", "body": message["body"], "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    app = BodyDeadlineMiddleware(echo, GRACE_S, MIN_RATE)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        body = b"x" * 400
        with _socket(f"http://127.0.0.1:{server.config.port}") as sock:
            sock.sendall(_head("/echo", "none", "text/plain", len(body)))
            assert _answer(sock).startswith(b"HTTP/1.1 200")
            sent = 0
            stop = time.monotonic() + 30
            while sent < len(body) and time.monotonic() < stop and not _closed(sock, 0.1):
                try:
                    sock.sendall(body[sent:sent + 1])
                except OSError:
                    break
                sent += 1
            assert sent < len(body) // 2, f"{sent} of {len(body)} bytes sent before the close"
    finally:
        server.should_exit = True
        thread.join(10)
