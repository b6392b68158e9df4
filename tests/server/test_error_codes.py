"""The README's error table matches the codes the server really answers with.

Every ``raise SomeApiError(..., code="x")``, each class's default code and each rate
limit's name are read from the server's source with ``ast``; the table must name each code under the status its
class answers with, and name nothing the server never says."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from agent_server import errors

ROOT = Path(__file__).resolve().parents[2]


_LIMITER_CALLS = {"hit", "over", "count_only", "acquire", "acquire_local", "acquire_queued"}


def _statuses() -> dict[str, int]:
    return {name: cls.status for name, cls in vars(errors).items()
            if isinstance(cls, type) and issubclass(cls, errors.ApiError)}


def _codes(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _codes(node.body) + _codes(node.orelse)
    return []


def _refusal_codes(node: ast.Call) -> list[str]:
    out = _codes(node.args[0]) if node.args else []
    for kw in node.keywords:
        if kw.arg == "code":
            out += _codes(kw.value)
        if kw.arg == "codes" and isinstance(kw.value, ast.Dict):
            out += [c for v in kw.value.values for c in _codes(v)]
    return out


def server_codes() -> set[tuple[int, str]]:
    statuses = _statuses()
    found = {(cls.status, cls.code) for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.ApiError) and cls is not errors.ApiError}
    for path in (ROOT / "agent_server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in _LIMITER_CALLS and "limiter" in ast.unparse(node.func):
                # The limiter answers 429 with the limit's name (its first argument) as the code.
                found |= {(429, c) for c in _codes(node.args[0] if node.args else None)}
                continue
            if name == "Refusal":  # a schema field's answer to a bad value: always 400
                found |= {(400, c) for c in _refusal_codes(node)}
                continue
            if name not in statuses:
                continue
            for kw in node.keywords:
                if kw.arg == "code":
                    found |= {(statuses[name], c) for c in _codes(kw.value)}
    return found


def readme_codes() -> set[tuple[int, str]]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| status | exception | `code` |"):]
    table = table[: table.index("\n\n")]
    out = set()
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].isdigit():
            out |= {(int(cells[0]), code) for code in re.findall(r"`([a-z_]+)`", cells[2])}
    return out


def test_readme_error_table_matches_the_server() -> None:
    server, readme = server_codes(), readme_codes()
    assert (409, "voice_not_ready") in readme and (409, "voice_not_ready") in server  # both parsers work
    assert (429, "speech_limit") in server and (400, "knowledge_too_long") in server
    assert readme - server == set(), "in the README but never answered by the server"
    assert server - readme == set(), "answered by the server but missing from the README's table"
