"""What to tell the user for each failure code, in the words of the voice-cloning guide
("Why was my clip rejected?"), with the measured value so they can see how far off it is."""

from __future__ import annotations

from typing import Any

_TEXT: dict[str, str] = {
    "no_speech": "No speech was found in the clip. Upload a 6-15 s recording of one person "
                 "speaking English.",
    "insufficient_bandwidth": "The audio has no real energy above {effective_bandwidth_hz:.0f} Hz "
                              "(at least {min_bandwidth_hz:.0f} Hz is needed): it looks like narrowband "
                              "or low-bitrate audio (e.g. a phone call) upsampled to look wideband. Record "
                              "genuinely wideband at 24 kHz or more; upsampling adds samples, not bandwidth.",
    "clip_too_short": "The clip has {span_s:.1f} s of speech from first to last word; it needs "
                      "{min_speech_s:.0f}-{max_speech_s:.0f} s. Provide a fuller sample of continuous speech.",
    "clip_too_long": "The clip has {span_s:.1f} s of speech from first to last word; it needs "
                     "{min_speech_s:.0f}-{max_speech_s:.0f} s. Trim it to a continuous 6-15 s of speech.",
    "clipping": "{clipped_pct:.2f}% of the samples are clipped. Record again with the input level "
                "lower, keeping peaks below clipping.",
    "inconsistent_level": "The speech level swings by {level_swing_db:.0f} dB across the clip. Provide an "
                          "evenly-leveled recording: keep the same distance to the microphone and no gain changes.",
    "long_silence": "There is a {longest_silence_s:.1f} s pause inside the speech (at most "
                    "{max_silence_s:.0f} s is allowed). Trim it to a continuous 6-15 s of speech.",
    "too_noisy": "Background noise is too loud (estimated SNR {snr_db:.0f} dB, at least "
                 "{min_snr_db:.0f} dB is needed). Record in a quiet room, close to the microphone, and don't "
                 "denoise away the highs.",
    "background_music": "Background music was detected. Record in a quiet, dry room with no music playing.",
    "reverberant": "The recording is too reverberant (estimated C50 {reverb_c50_db:.1f} dB). Record in a "
                   "quiet, dry room (soft furnishings, closer to the microphone).",
    "multiple_speakers": "More than one voice was detected (turns, crosstalk, overlap or background "
                         "conversation). Use a clip with exactly one speaker and no overlap.",
    "non_english": "The speech does not appear to be English (English confidence "
                   "{language_confidence:.2f}). Cloning is English-only today: use an English reference clip.",
}


def message(code: str, values: dict[str, Any]) -> str:
    try:
        return _TEXT[code].format(**values)
    except (KeyError, ValueError, TypeError):
        return _TEXT.get(code, code).split(".")[0] + "."
