"""Protocol Buffers wire format, read without a schema (Antigravity ships no .proto).

A message is a sequence of (tag, value): tag = field number << 3 | wire type; type 0 is a
varint, 2 a length-delimited byte string (a nested message, a string or packed numbers),
1 and 5 fixed 64/32-bit values, which are skipped. Groups (3, 4) are long deprecated and
not used here: meeting one, like any other malformed input, raises WireError. Nested
messages are decoded only when a caller asks for one.

No schema-less decoder on PyPI was worth a dependency: `blackboxprotobuf` was last released
in 2020; the newer forks guess types (and re-encode), which a reader of a few known fields
does not need.
"""

from __future__ import annotations

MAX_VARINT_BYTES = 10


class WireError(ValueError):
    """The bytes are not a protobuf message (truncated, garbage, a bad wire type...)."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(pos, min(pos + MAX_VARINT_BYTES, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value >> 64:
                raise WireError("varint overflows 64 bits")
            return value, i + 1
        shift += 7
    raise WireError("truncated varint" if len(data) - pos < MAX_VARINT_BYTES else "varint too long")


def fields(data: bytes) -> dict[int, list[int | bytes]]:
    """Every field of one message: {number: [values in order]}; varints as ints,
    length-delimited values as bytes. Raises WireError on anything malformed."""
    out: dict[int, list[int | bytes]] = {}
    pos, end = 0, len(data)
    while pos < end:
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0")
        value: int | bytes | None
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > end:
                raise WireError("truncated length-delimited field")
            value, pos = bytes(data[pos:pos + length]), pos + length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > end:
                raise WireError("truncated fixed-width field")
            value = None
        else:
            raise WireError(f"unsupported wire type {wire}")
        if value is not None:
            out.setdefault(number, []).append(value)
    return out


class Message:
    """One decoded message with typed accessors (the last value wins, as in protobuf)."""

    __slots__ = ("f",)

    def __init__(self, data: bytes) -> None:
        self.f = fields(data)

    def int(self, number: int) -> int:
        values = [v for v in self.f.get(number, ()) if isinstance(v, int)]
        return values[-1] if values else 0

    def bytes(self, number: int) -> bytes | None:
        values = [v for v in self.f.get(number, ()) if isinstance(v, bytes)]
        return values[-1] if values else None

    def text(self, number: int) -> str:
        raw = self.bytes(number)
        if raw is None:
            return ""
        try:
            return raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            return ""

    def message(self, number: int) -> Message | None:
        raw = self.bytes(number)
        return Message(raw) if raw is not None else None

    def messages(self, number: int) -> list[Message]:
        return [Message(v) for v in self.f.get(number, ()) if isinstance(v, bytes)]
