"""CSV records with the line each one starts on, read in bounded memory.

Errors must point at the right line: a record can span several lines (a quoted
field holding a newline), so the line a problem is reported on is the line its
record *starts* on, and a quote that never closes is reported where its record
began, not at the end of the file. Lines longer than a limit are refused before
they are held in memory whole, so a hostile file cannot exhaust memory.
"""
from __future__ import annotations

import csv
from typing import IO, Iterator

MAX_LINE_CHARS = 1 << 16  # no DataPerf CSV line comes near this (ImageIDs are 16 characters)


class CsvProblem(Exception):
    """A malformed CSV file: ``problem`` at file line ``line``."""

    def __init__(self, problem: str, line: int):
        super().__init__(problem)
        self.problem = problem
        self.line = line


def bounded_lines(handle: IO[str], max_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of a text handle (newline=""), refusing one longer than ``max_chars``."""
    number = 0
    while True:
        line = handle.readline(max_chars + 1)
        if not line:
            return
        number += 1
        if len(line) > max_chars and not line.endswith(("\n", "\r")):
            raise CsvProblem(f"line is longer than {max_chars} characters", number)
        yield line


def records(handle: IO[str], max_chars: int = MAX_LINE_CHARS) -> Iterator[tuple[int, list[str]]]:
    """Yield (first file line, fields) for every record that is not blank.

    ``handle`` must be opened with ``newline=""`` (the csv module's rule).
    """
    lines = bounded_lines(handle, max_chars)
    reader = csv.reader(lines, strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            text = " ".join(str(exc).split())
            if "unexpected end of data" in text:
                raise CsvProblem("a quote opened in this record never closes", start) from None
            if "field larger than field limit" in text:
                raise CsvProblem("a field is longer than the CSV field limit", start) from None
            raise CsvProblem(f"malformed CSV ({text[:80]})", reader.line_num) from None
        line, start = start, reader.line_num + 1
        if not record or all(not field.strip() for field in record):
            continue  # blank line
        yield line, record
