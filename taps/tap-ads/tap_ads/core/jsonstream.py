"""Read a large JSON report file as a stream: `{"key": [{...}, {...}], "key2": [...]}` (the
shape of Pinterest's report files) yields `(key, object)` pairs while the bytes arrive, so
memory holds one chunk and one object, never the whole file. Standard library only: each
string and object is decoded with `json.JSONDecoder.raw_decode` once it is complete.
"""

from __future__ import annotations

import codecs
import decimal
import json
import typing as t

_DECODER = json.JSONDecoder(parse_float=decimal.Decimal)
_SPACE = " \t\r\n"


class CutJSON(ValueError):
    """The stream ended (or broke) before the JSON document did."""


class _Buffer:
    def __init__(self, chunks: t.Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.ended = False

    def more(self) -> bool:
        """Append the next chunk; False at the end of the stream."""
        if self.ended:
            return False
        self.text = self.text[self.pos :]  # drop what was consumed
        self.pos = 0
        for chunk in self._chunks:
            if chunk:
                self.text += self._utf8.decode(chunk)
                return True
        self.text += self._utf8.decode(b"", final=True)
        self.ended = True
        return False

    def peek(self) -> str:
        """The next non-space character (consuming the spaces before it)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                raise CutJSON("the JSON document ended early")

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at {self.text[self.pos : self.pos + 20]!r}")
        self.pos += 1

    def value(self) -> t.Any:
        """The next complete JSON value (a string or an object here)."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError:
                if not self.more():
                    raise CutJSON("the JSON document ended inside a value") from None
                continue
            # A number (or literal) at the buffer's end may go on in the next chunk.
            at_end = end == len(self.text) and not isinstance(value, (dict, list, str))
            if at_end and self.more():
                continue
            self.pos = end
            return value


def keyed_arrays(chunks: t.Iterable[bytes]) -> t.Iterator[tuple[str, t.Any]]:
    """(key, item) for every item of every array of a top-level object of arrays."""
    buf = _Buffer(chunks)
    buf.expect("{")
    if buf.peek() == "}":
        return
    while True:
        key = buf.value()
        buf.expect(":")
        buf.expect("[")
        if buf.peek() != "]":
            while True:
                yield str(key), buf.value()
                if buf.peek() == "]":
                    break
                buf.expect(",")
        buf.expect("]")
        if buf.peek() == "}":
            return
        buf.expect(",")
