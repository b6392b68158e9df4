"""Pull the runnable code out of the voice-cloning guide (a plain-text page export).

The export has no code fences, so blocks are found by what they are:

* shell: a run of lines that start with a command the guide uses (``pyai``, ``curl``,
  ``ffmpeg``), their ``\\`` continuation lines, and ``#`` comments next to them;
* Python: a maximal run of lines that compiles as a module, trimmed at its edges of
  expressions that call nothing (the page's step numbers "1", "2", its "Python" tab
  label and a heading like "Authentication & scopes" compile too), kept if anything is
  left.
  Prose never compiles, so it always ends a block.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

SHELL_COMMANDS = ("pyai", "curl", "ffmpeg")


@dataclass(frozen=True)
class Block:
    kind: str  # "python" or "shell"
    code: str
    line: int  # 1-based line in the guide where the block starts

    def commands(self) -> list[str]:
        """Shell blocks: one string per command, continuations joined, comments dropped."""
        out: list[str] = []
        current = ""
        for raw in self.code.splitlines():
            line = raw.strip()
            if not current and (not line or line.startswith("#")):
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            out.append((current + line).strip())
            current = ""
        return out


def _is_shell_start(line: str) -> bool:
    # "pyai = PyAI(...)" starts with a command name too; Python compiles, shell does not.
    words = line.split()
    return bool(words) and words[0] in SHELL_COMMANDS and _compiles(line) is None


def _is_trivial(node: ast.stmt) -> bool:
    """An expression statement that calls nothing: a step number, a tab label, or prose
    that happens to parse ("Authentication & scopes" is a bitwise and of two names)."""
    return isinstance(node, ast.Expr) and not any(isinstance(n, ast.Call) for n in ast.walk(node))


def _compiles(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _shell_blocks(lines: list[str]) -> tuple[list[Block], set[int]]:
    blocks: list[Block] = []
    used: set[int] = set()
    i = 0
    while i < len(lines):
        if not _is_shell_start(lines[i]):
            i += 1
            continue
        start = i
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        end = i
        while end < len(lines):
            line = lines[end].strip()
            continued = end > start and lines[end - 1].rstrip().endswith("\\")
            if continued or _is_shell_start(line) or line.startswith("#"):
                end += 1
            else:
                break
        blocks.append(Block("shell", "\n".join(lines[start:end]), start + 1))
        used.update(range(start, end))
        i = end
    return blocks, used


def _python_blocks(lines: list[str], used: set[int]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if i in used or not lines[i].strip():
            i += 1
            continue
        stop = i
        while stop < len(lines) and stop not in used:
            stop += 1
        best = None
        for j in range(stop, i, -1):
            if _compiles("\n".join(lines[i:j])) is not None:
                best = j
                break
        if best is None:
            i += 1
            continue
        tree = _compiles("\n".join(lines[i:best]))
        assert tree is not None
        body = list(tree.body)
        while body and _is_trivial(body[0]):
            body.pop(0)
        while body and _is_trivial(body[-1]):
            body.pop()
        if body:
            first, last = body[0].lineno, body[-1].end_lineno or body[-1].lineno
            code = "\n".join(lines[i + first - 1 : i + last])
            # Keep a trailing comment on the last line (the guide's "# voice_abc  pending").
            blocks.append(Block("python", code, i + first))
        i = best
    return blocks


def extract(text: str) -> list[Block]:
    """Every runnable block of the guide, in page order."""
    lines = text.splitlines()
    shell, used = _shell_blocks(lines)
    return sorted(shell + _python_blocks(lines, used), key=lambda b: b.line)


def load(path: Path) -> list[Block]:
    return extract(path.read_text(encoding="utf-8"))


def ffmpeg_trim_args(command: str) -> dict[str, str]:
    """The options of the guide's ``ffmpeg -i IN -ss T -t D ... OUT`` line."""
    argv = shlex.split(command)
    opts = {argv[k]: argv[k + 1] for k in range(1, len(argv) - 1) if argv[k].startswith("-")}
    opts["output"] = argv[-1]
    return opts


def seconds(timestamp: str) -> float:
    """``00:00:04`` or ``4`` or ``4.5`` as seconds."""
    if re.fullmatch(r"[\d.]+", timestamp):
        return float(timestamp)
    total = 0.0
    for part in timestamp.split(":"):
        total = total * 60 + float(part)
    return total
