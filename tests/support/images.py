"""Small, valid image files made in the test (no image library needed)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int = 4, height: int = 3, padding: int = 0) -> bytes:
    """An RGB PNG of `width` x `height`; `padding` adds an ancillary chunk of that many bytes (a big file)."""
    raw = b"".join(b"\x00" + bytes([200, 30, 90]) * width for _ in range(height))
    extra = _chunk(b"tEXt", b"pad\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + extra
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )
