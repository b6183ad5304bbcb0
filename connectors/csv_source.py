"""The ``csv`` connector: a delimited text file, streamed with the stdlib ``csv`` module.

Values come out as strings exactly as read (``null_values`` become None); the validator
types them. Row numbers count data records after the header, starting at 1, so a steward
can find a rejected row in a spreadsheet (spreadsheet row = number + 1 when no record
spans lines). Progress is in bytes of the file, which is what is cheap to know up front.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import Field, field_validator

from connectors.base import Connector, MappedOptions, RawRow, map_columns
from connectors.errors import SourceError
from connectors.registry import register

#: enough bytes to judge the encoding without reading a large file twice
_SNIFF_BYTES = 64 * 1024
_SINGLE_BYTE_LEGACY = {"latin_1", "iso8859-1", "cp1252", "cp1258", "iso8859-15"}


class CsvOptions(MappedOptions):
    path: str = Field(min_length=1)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    quotechar: str = Field(default='"', min_length=1, max_length=1)
    null_values: list[str] = Field(default_factory=lambda: [""])

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r}; use e.g. utf-8, cp1258 or latin-1"
            ) from None
        return value


@register
class CsvConnector(Connector):
    name = "csv"
    Options = CsvOptions
    unit = "bytes"

    options: CsvOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._done = 0
        self._total: int | None = None

    def describe(self) -> str:
        return f"CSV {(self.context.base_dir / self.options.path).resolve()}"

    def progress(self) -> tuple[int, int | None]:
        return self._done, self._total

    def batches(self, batch_size: int = 5000) -> Iterator[list[RawRow]]:
        path = self._checked_path()
        self._done, self._total = 0, path.stat().st_size
        encoding = _python_encoding(self.options.encoding)
        with path.open("rb") as raw:
            self._refuse_mismatched_encoding(raw, path)
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            reader = csv.reader(
                text, delimiter=self.options.delimiter, quotechar=self.options.quotechar
            )
            try:
                yield from self._read(reader, raw, batch_size, path)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{path}: not valid {self.options.encoding} text near line "
                    f"{reader.line_num + 1} ({exc.reason}); set `encoding:` to the file's "
                    "encoding (e.g. utf-8, or cp1258 / latin-1 for older Windows exports)"
                ) from None
            except csv.Error as exc:
                raise SourceError(f"{path}: line {reader.line_num}: {exc}") from None
        self._done = self._total

    def _checked_path(self) -> Path:
        path = self.context.resolve_path(self.options.path)
        if not path.exists():
            raise SourceError(
                f"CSV file not found: {path} (from path {self.options.path!r}); check `path:`"
            )
        if not path.is_file():
            raise SourceError(f"{path} is not a regular file; `path:` must name a CSV file")
        return path

    def _refuse_mismatched_encoding(self, raw: IO[bytes], path: Path) -> None:
        """A UTF-8 file read as a legacy single-byte encoding decodes 'fine' into garbage."""
        if codecs.lookup(self.options.encoding).name not in _SINGLE_BYTE_LEGACY:
            return
        sample = raw.read(_SNIFF_BYTES)
        raw.seek(0)
        if _looks_like_utf8(sample):
            raise SourceError(
                f"{path} looks like UTF-8 but `encoding: {self.options.encoding}` is declared; "
                "set `encoding: utf-8` (or remove it)"
            )

    def _read(
        self, reader: Any, raw: IO[bytes], batch_size: int, path: Path
    ) -> Iterator[list[RawRow]]:
        header = next(reader, None)
        if header is None:
            raise SourceError(f"{path} is empty; the first line must be the header")
        _refuse_stray_bom(header, path)
        _refuse_wrong_delimiter(header, self.options.delimiter, path)
        pairs = map_columns(header, self.fields, self.options.columns, what="CSV header")
        width = len(header)
        nulls = frozenset(self.options.null_values)
        batch: list[RawRow] = []
        for number, record in enumerate(reader, start=1):
            if not record:
                continue  # a blank line is not a row; it still counts so numbers match lines
            if len(record) == width:
                values = {name: None if record[i] in nulls else record[i] for i, name in pairs}
                batch.append(RawRow(number, values))
            else:
                batch.append(_misshapen(number, record, pairs, width, nulls))
            if len(batch) >= batch_size:
                self._done = raw.tell()
                yield batch
                batch = []
        if batch:
            yield batch


def _misshapen(
    number: int, record: list[str], pairs: list[tuple[int, str]], width: int, nulls: frozenset[str]
) -> RawRow:
    # keep what is there so the rejection shows the steward the row they must fix
    values = {name: record[i] if i < len(record) else None for i, name in pairs}
    values = {k: None if v in nulls else v for k, v in values.items()}
    error = (
        f"row has {len(record)} values but the header has {width} columns "
        "(check the delimiter and the quoting of values that contain it)"
    )
    return RawRow(number, values, error)


def _python_encoding(declared: str) -> str:
    # "utf-8" must also read files that start with a byte-order mark (Excel writes one)
    return "utf-8-sig" if codecs.lookup(declared).name == "utf-8" else declared


def _looks_like_utf8(sample: bytes) -> bool:
    if sample.isascii():
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # the sample may end inside a character
    except UnicodeDecodeError:
        return False
    return True


def _refuse_stray_bom(header: list[str], path: Path) -> None:
    if header and header[0].startswith(("\ufeff", "ï»¿")):
        raise SourceError(
            f"{path} starts with a UTF-8 byte-order mark but another encoding is declared; "
            "set `encoding: utf-8`"
        )


def _refuse_wrong_delimiter(header: list[str], delimiter: str, path: Path) -> None:
    # one column whose name holds another usual separator: the delimiter is wrong
    if len(header) != 1:
        return
    for candidate in (";", "\t", "|", ","):
        if candidate != delimiter and candidate in header[0]:
            raise SourceError(
                f"{path}: the header reads as one column {header[0][:60]!r}; the file looks "
                f"{candidate!r}-separated, so set `delimiter: {candidate!r}`"
            )
