"""What to do about each enrollment failure code.

The codes and their advice are the public contract's (:mod:`api_contract`, shared with
the server); the advice follows the voice-cloning guide's "Why was my clip rejected?"
table, and for codes that table does not list, its "What makes a good reference clip"
requirements. Kept in the SDK, not only the CLI, so
an application can show users the same fix the CLI prints (``voice.failure.fix``).
"""

from __future__ import annotations

from api_contract import FAILURES

__all__ = ["FIXES", "fix_for"]

FIXES: dict[str, str] = {code: failure.fix for code, failure in FAILURES.items()}


def fix_for(code: str | None) -> str | None:
    """The fix for a failure code, or None for a code this SDK version does not know."""
    if code is None:
        return None
    return FIXES.get(code)
