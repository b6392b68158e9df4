"""Turning the many things users call "a file" into one multipart part.

The upload is read into memory once (the server caps it at 25 MB) so that a retry can
resend identical bytes; streaming an open file would leave it half-consumed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Union

__all__ = ["FileInput", "read_upload"]

FileInput = Union[IO[bytes], bytes, bytearray, memoryview, str, "os.PathLike[str]", tuple[str, bytes]]

# Magic numbers of the formats API.md accepts. The server sniffs content itself; a
# truthful filename and type only help proxies and logs, so unknown data falls back to
# application/octet-stream rather than failing here.
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"RIFF", 0, "wav", "audio/wav"),
    (b"fLaC", 0, "flac", "audio/flac"),
    (b"OggS", 0, "ogg", "audio/ogg"),
    (b"ID3", 0, "mp3", "audio/mpeg"),
    (b"ftyp", 4, "m4a", "audio/mp4"),
    (b"\x1a\x45\xdf\xa3", 0, "webm", "audio/webm"),
)
_BY_SUFFIX = {ext: mime for _, _, ext, mime in _SIGNATURES} | {"opus": "audio/ogg", "aac": "audio/aac"}


def _sniff(data: bytes) -> tuple[str, str]:
    for magic, offset, ext, mime in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return ext, mime
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "mp3", "audio/mpeg"
    return "bin", "application/octet-stream"


def read_upload(file: FileInput, filename: str | None = None) -> tuple[str, bytes, str]:
    """Return ``(filename, data, content_type)`` for an httpx ``files=`` part."""
    name: str | None = None
    if isinstance(file, tuple):
        name, raw = file
        data = bytes(raw)
    elif isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
    elif isinstance(file, (str, os.PathLike)):
        path = Path(file)
        data = path.read_bytes()
        name = path.name
    elif hasattr(file, "read"):
        content = file.read()
        if isinstance(content, str):
            raise TypeError("file was opened in text mode; open it with 'rb'")
        data = bytes(content)
        file_name = getattr(file, "name", None)
        if isinstance(file_name, str) and file_name:
            name = os.path.basename(file_name)
    else:
        raise TypeError(f"file must be an open binary file, bytes or a path, not {type(file).__name__}")
    ext, mime = _sniff(data)
    name = filename or name or f"clip.{ext}"
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if mime == "application/octet-stream" and suffix in _BY_SUFFIX:
        mime = _BY_SUFFIX[suffix]
    return name, data, mime
