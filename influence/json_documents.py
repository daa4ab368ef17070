"""Landed files that hold JSON documents instead of JSON lines, split into one record per line.

Dumps are not always one record per line. A script may save a JSON array of tweets (`json.dump(tweets,
f, indent=2)`), an API response page pretty-printed, or `jq .`'s stream of indented objects one after
another. Read as lines, every line of such a file would be a fragment and quarantined. So landing tells
the two layouts apart (`layout_of`), and a document's records (`records`) become its bronze lines:

- the file is a sequence of top-level JSON values separated by blanks (most often a single one);
- a top-level array's elements are records, in order; any other top-level value is one record;
- a record's text is its verbatim slice of the file with its line breaks turned into spaces. JSON allows
  a raw line break only between tokens, never inside a string, so that text parses to the same value.

Pure Python and streaming: the text is read in growing chunks, and each record is parsed once by the
standard library's decoder, which finds where it ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TextIO

LINES, DOCUMENT = "lines", "json_document"
_BLANKS = re.compile(r"[ \t\n\r]*")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")
_DECODER = json.JSONDecoder()
CHUNK_CHARACTERS = 8 * 2**20
# How much of a file's start is read to tell its layout: a JSON-lines file's first line usually ends well
# before, and an indented document breaks its first line after a character or two.
PEEK_CHARACTERS = 2**20


class DocumentError(ValueError):
    """The text is not a sequence of JSON values: `offset` is the character where reading stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at character {offset:,}")
        self.offset = offset


def layout_of(start: str) -> str:
    """LINES or DOCUMENT for a file whose text begins with `start` (at most PEEK_CHARACTERS of it).

    A document begins with '[' (an array of records), or with '{' on a first line that is not a complete
    JSON value (an indented object). Everything else is read as lines, as are files a connector reads as
    text (a SNAP edge list never begins with either)."""
    text = start.lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return DOCUMENT
    if not text.startswith("{"):
        return LINES
    first_line, line_break, _ = text.partition("\n")
    if not line_break:  # one long first line: JSON lines with a big record, or a document written on one line
        return LINES
    try:
        json.loads(first_line)
    except ValueError:
        return DOCUMENT
    return LINES


class _Reader:
    """The text of a stream, read on demand into one buffer from which parsed records are dropped."""

    def __init__(self, stream: TextIO, chunk: int) -> None:
        self.stream, self.chunk = stream, chunk
        self.buffer, self.position, self.consumed, self.ended = "", 0, 0, False

    def more(self, at_least: int) -> bool:
        """Reads at least `at_least` more characters (fewer at the end); False when the stream has ended."""
        text = "" if self.ended else self.stream.read(max(at_least, self.chunk))
        if not text:
            self.ended = True
            return False
        if self.position > len(self.buffer) // 2:  # drop what was parsed before growing the buffer
            self.consumed += self.position
            self.buffer, self.position = self.buffer[self.position :], 0
        self.buffer += text
        return True

    def next_character(self) -> str:
        """The next character that is not a blank ('' at the end of the text), left unread."""
        while True:
            self.position = _BLANKS.match(self.buffer, self.position).end()
            if self.position < len(self.buffer) or not self.more(self.chunk):
                return self.buffer[self.position : self.position + 1]

    def value(self) -> str:
        """The JSON value that starts here, as one line of its verbatim text."""
        while True:
            try:
                _, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                # A value cut by the end of the buffer fails within a \uXXXX escape of where the buffer ends (or,
                # for a string, where it began): read as much again and retry. A broken value fails again.
                cut = error.pos >= len(self.buffer) - 6 or error.msg.startswith("Unterminated string")
                if cut and self.more(len(self.buffer)):
                    continue
                raise DocumentError(f"not JSON ({error.msg})", self.consumed + error.pos) from None
            is_number = self.buffer[self.position] in "-0123456789"
            if is_number and end >= len(self.buffer) - 8 and self.more(self.chunk):
                continue  # a number near the buffer's end ("1", "1.", "1e-") may go on in the next chunk
            text = _LINE_BREAKS.sub(" ", self.buffer[self.position : end])
            self.position = end
            return text

    def offset(self) -> int:
        return self.consumed + self.position


def records(stream: TextIO, chunk: int = CHUNK_CHARACTERS) -> Iterator[str]:
    """Each record of a JSON document (see the module docstring), in order, as one line of text.
    Raises DocumentError where the text stops being a sequence of JSON values; the records before it have
    been yielded."""
    reader = _Reader(stream, chunk)
    while (character := reader.next_character()) != "":
        if character != "[":
            yield reader.value()
            continue
        reader.position += 1
        if reader.next_character() == "]":
            reader.position += 1
            continue
        while True:
            if reader.next_character() == "":
                raise DocumentError("the array is not closed", reader.offset())
            yield reader.value()
            separator = reader.next_character()
            if separator == "":
                raise DocumentError("the array is not closed", reader.offset())
            reader.position += 1
            if separator == "]":
                break
            if separator != ",":
                raise DocumentError(f"expected ',' or ']' after an array element, found {separator!r}", reader.offset() - 1)
