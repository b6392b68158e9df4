"""What to do about each enrollment failure code.

The codes are the public contract's (API.md); the advice follows the voice-cloning
guide's "Why was my clip rejected?" table, and for codes that table does not list, its
"What makes a good reference clip" requirements. Kept in the SDK, not only the CLI, so
an application can show users the same fix the CLI prints (``voice.failure.fix``).
"""

from __future__ import annotations

__all__ = ["FIXES", "fix_for"]

FIXES: dict[str, str] = {
    "insufficient_bandwidth": (
        "Record genuinely wideband at >=24 kHz; upsampling adds samples, not bandwidth, and the gate detects it."
    ),
    "clip_too_short": "Trim to a continuous 6-15 s of speech.",
    "clip_too_long": "Trim to a continuous 6-15 s of speech.",
    "multiple_speakers": "Use a clip with exactly one speaker and no overlap.",
    "too_noisy": "Record in a quiet room with minimal background noise; don't denoise it afterwards.",
    "background_music": "Record in a quiet, dry room with no music under or between the speech.",
    "reverberant": "Record in a quiet, dry room; avoid reverb-heavy rooms.",
    "clipping": "Record in a quiet, dry room; keep levels below clipping.",
    "inconsistent_level": "Provide a fuller, evenly-leveled 10-15 s sample.",
    "long_silence": "Use continuous speech with no pause longer than about 2 s.",
    "non_english": "Use an English reference clip; cloning is English-only today.",
    "no_speech": "Use a clip where one person speaks continuously for 6-15 s.",
}


def fix_for(code: str | None) -> str | None:
    """The fix for a failure code, or None for a code this SDK version does not know."""
    if code is None:
        return None
    return FIXES.get(code)
