"""`pyai audio speech`: text to speech into a file."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pyai.cli.common import (
    JsonFlag,
    _api_errors,
    _print_json,
    _state,
    _wants_json,
    audio_app,
    err,
)


class AudioFormat(StrEnum):
    """The API's ``response_format`` values (pyai.resources.audio.RESPONSE_FORMATS)."""

    wav = "wav"
    mp3 = "mp3"
    opus = "opus"
    flac = "flac"
    aac = "aac"
    pcm = "pcm"
    ulaw = "ulaw"
    alaw = "alaw"


@audio_app.command("speech")
def audio_speech(
    ctx: typer.Context,
    input_text: Annotated[str, typer.Option("--input", help="Text to speak (1-4096 characters).")],
    voice: Annotated[str, typer.Option("--voice", help="Stock voice (joe) or a ready clone id.")],
    output: Annotated[Path, typer.Option("--output", help="Where to write the audio; '-' for stdout.")],
    response_format: Annotated[AudioFormat, typer.Option("--format", help="Audio format.")] = AudioFormat.wav,
    speed: Annotated[float, typer.Option("--speed", min=0.25, max=4.0, help="0.25 to 4.0.")] = 1.0,
    json_flag: JsonFlag = False,
) -> None:
    """Synthesize speech and stream it to a file as it is produced."""
    as_json = _wants_json(ctx, json_flag)
    pyai = _state(ctx).client()
    fmt = response_format.value
    chunks = pyai.audio.speech_stream(input=input_text, voice=voice, response_format=fmt, speed=speed)
    written = 0
    with _api_errors(as_json):
        if str(output) == "-":
            sink = sys.stdout.buffer
            for chunk in chunks:
                sink.write(chunk)
                written += len(chunk)
            sink.flush()
        else:
            # Write beside the target and rename at the end, so an error midway never
            # leaves a truncated file that looks like a finished one.
            partial = output.with_name(output.name + ".part")
            try:
                with partial.open("wb") as sink:
                    for chunk in chunks:
                        sink.write(chunk)
                        written += len(chunk)
                partial.replace(output)
            finally:
                partial.unlink(missing_ok=True)
    if as_json:
        _print_json({"output": str(output), "bytes": written, "format": fmt, "voice": voice})
    elif str(output) != "-":
        err.print(f"Wrote {written:,} bytes to {output}", markup=False)


# ---- agents ---------------------------------------------------------------------------
