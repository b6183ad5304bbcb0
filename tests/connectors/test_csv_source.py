"""The ``csv`` connector on real files: encodings, delimiters, headers, broken rows."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorContext, RawRow
from connectors.csv_source import CsvConnector
from connectors.descriptor import FieldSpec, SourceSpec
from connectors.errors import DocumentError, SourceError

HEADER = "citizen_id,full_name,ward\n"


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def connector(context: ConnectorContext, fields: list[FieldSpec], **options: Any) -> CsvConnector:
    source = SourceSpec(connector="csv", **{"path": "p.csv", **options})
    return CsvConnector.from_source(source, context=context, fields=fields)


def rows(context: ConnectorContext, fields: list[FieldSpec], **options: Any) -> list[RawRow]:
    return [row for batch in connector(context, fields, **options).batches() for row in batch]


def test_reads_rows_keyed_by_field_with_numbers_from_one(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,Nguyễn Văn An,phuong-1\n002,Trần Thị Bình,phuong-2\n")
    got = rows(context, people_fields)
    assert [r.number for r in got] == [1, 2]
    assert got[1].values == {
        "citizen_id": "002",
        "full_name": "Trần Thị Bình",
        "ward": "phuong-2",
    }
    assert all(r.error is None for r in got)


def test_batches_have_the_asked_size(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "".join(f"{i},n{i},w\n" for i in range(7)))
    sizes = [len(b) for b in connector(context, people_fields).batches(batch_size=3)]
    assert sizes == [3, 3, 1]


def test_utf8_with_bom_reads_the_first_header_cleanly(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,An,w\n", encoding="utf-8-sig")  # Excel's "CSV UTF-8"
    assert rows(context, people_fields)[0].values["citizen_id"] == "001"


def test_semicolon_delimiter(tmp_path, context, people_fields):
    write(tmp_path, "citizen_id;full_name;ward\n001;Lê, Văn C;w\n")
    assert rows(context, people_fields, delimiter=";")[0].values["full_name"] == "Lê, Văn C"


def test_semicolon_file_read_with_commas_says_which_delimiter(tmp_path, context, people_fields):
    write(tmp_path, "citizen_id;full_name;ward\n001;An;w\n")
    with pytest.raises(SourceError, match=r"looks ';'-separated, so set `delimiter: ';'`"):
        rows(context, people_fields)


def test_cp1258_declared_reads_vietnamese(tmp_path, context, people_fields):
    # cp1258 writes tones as combining marks: ê + combining tilde is "ễ" once composed
    name = "Nguy\u00ea\u0303n V\u0103n A"
    write(tmp_path, HEADER + f"001,{name},w\n", encoding="cp1258")
    value = rows(context, people_fields, encoding="cp1258")[0].values["full_name"]
    assert unicodedata.normalize("NFC", value) == "Nguyễn Văn A"


def test_latin1_declared_reads_latin1(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,José Müller,w\n", encoding="latin-1")
    assert rows(context, people_fields, encoding="latin-1")[0].values["full_name"] == "José Müller"


def test_cp1258_file_read_as_utf8_is_a_source_error(tmp_path, context, people_fields):
    # "Trần" as cp1258 writes it: â + combining grave
    write(tmp_path, HEADER + "001,Tr\u00e2\u0300n,w\n", encoding="cp1258")
    with pytest.raises(SourceError, match=r"not valid utf-8 text .* set `encoding:`"):
        rows(context, people_fields)


def test_utf8_file_declared_latin1_is_refused_not_garbled(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,Nguyễn,w\n")
    with pytest.raises(SourceError, match=r"looks like UTF-8 but `encoding: latin-1`"):
        rows(context, people_fields, encoding="latin-1")


def test_missing_columns_name_the_fields_and_the_fix(tmp_path, context, people_fields):
    write(tmp_path, "citizen_id,Ward,phone\n001,w,090\n")
    with pytest.raises(SourceError) as caught:
        rows(context, people_fields)
    message = str(caught.value)
    assert "CSV header lacks fields: full_name, ward (it has: citizen_id, Ward, phone)" in message
    assert "map them with `columns:`, e.g. columns: {Ward: ward}" in message


def test_columns_rename_and_extra_columns_are_ignored(tmp_path, context, people_fields):
    write(tmp_path, "CCCD,Họ tên,ward,ghi_chu\n001,An,w,x\n")
    got = rows(context, people_fields, columns={"CCCD": "citizen_id", "Họ tên": "full_name"})
    assert got[0].values == {"citizen_id": "001", "full_name": "An", "ward": "w"}


def test_explicit_column_wins_over_a_same_named_one(tmp_path, context, people_fields):
    write(tmp_path, "citizen_id,full_name,ho_ten,ward\n001,old,new,w\n")
    got = rows(context, people_fields, columns={"ho_ten": "full_name"})
    assert got[0].values["full_name"] == "new"


def test_columns_naming_an_absent_header_is_a_source_error(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,An,w\n")
    with pytest.raises(SourceError, match=r"`columns:` names so_cccd but the CSV header has no"):
        rows(context, people_fields, columns={"so_cccd": "citizen_id"})


def test_duplicate_header_feeding_a_field_is_ambiguous(tmp_path, context, people_fields):
    write(tmp_path, "citizen_id,full_name,ward,full_name\n001,A,w,B\n")
    with pytest.raises(SourceError, match=r"repeats column 'full_name' \(positions 2, 4\)"):
        rows(context, people_fields)


def test_duplicate_header_nobody_reads_is_harmless(tmp_path, context, people_fields):
    write(tmp_path, "citizen_id,full_name,ward,note,note\n001,A,w,x,y\n")
    assert rows(context, people_fields)[0].values["full_name"] == "A"


def test_wrong_value_count_yields_the_row_with_an_error(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,An,w\n002,Bình\n003,C,w,extra\n004,D,w\n")
    got = rows(context, people_fields)
    assert [r.number for r in got] == [1, 2, 3, 4]
    assert [r.error is None for r in got] == [True, False, False, True]
    assert got[1].error and "row has 2 values but the header has 3 columns" in got[1].error
    assert got[1].values == {"citizen_id": "002", "full_name": "Bình", "ward": None}


def test_quoted_values_with_delimiters_and_newlines(tmp_path, context, people_fields):
    write(tmp_path, HEADER + '001,"Lê, Văn ""Tí""\nthứ hai",w\n002,B,w\n')
    got = rows(context, people_fields)
    assert got[0].values["full_name"] == 'Lê, Văn "Tí"\nthứ hai'
    assert got[1].number == 2


def test_custom_quotechar(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,'An, B',w\n")
    assert rows(context, people_fields, quotechar="'")[0].values["full_name"] == "An, B"


def test_blank_lines_are_skipped_but_counted(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,A,w\n\n003,C,w\n")
    assert [r.number for r in rows(context, people_fields)] == [1, 3]


def test_null_values_become_none(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,,NA\n002,N/A,w\n")
    got = rows(context, people_fields, null_values=["", "NA", "N/A"])
    assert got[0].values == {"citizen_id": "001", "full_name": None, "ward": None}
    assert got[1].values["full_name"] is None


def test_default_null_is_only_the_empty_string(tmp_path, context, people_fields):
    write(tmp_path, HEADER + "001,,NA\n")
    assert rows(context, people_fields)[0].values == {
        "citizen_id": "001",
        "full_name": None,
        "ward": "NA",
    }


def test_header_only_gives_no_batches(tmp_path, context, people_fields):
    write(tmp_path, HEADER)
    assert list(connector(context, people_fields).batches()) == []


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, r"CSV file not found: .*p\.csv \(from path 'p\.csv'\)"),  # no file
        (lambda d: (d / "p.csv").mkdir(), r"is not a regular file"),  # a directory
        (lambda d: (d / "p.csv").write_bytes(b""), r"is empty; the first line must be"),  # empty
    ],
)
def test_unreadable_files(tmp_path, context, people_fields, setup, message):
    setup(tmp_path)
    with pytest.raises(SourceError, match=message):
        rows(context, people_fields)


def test_allowed_roots_accept_inside_and_refuse_escapes(tmp_path, people_fields):
    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    (data / "ok.csv").write_text(HEADER + "1,A,w\n")
    (outside / "secret.csv").write_text(HEADER + "1,A,w\n")
    os.symlink(outside / "secret.csv", data / "link.csv")
    context = ConnectorContext(base_dir=data, allowed_roots=(data,))
    assert len(rows(context, people_fields, path="ok.csv")) == 1
    for sneaky in ("../outside/secret.csv", str(outside / "secret.csv"), "link.csv"):
        with pytest.raises(SourceError, match="outside the directories the hub may read"):
            rows(context, people_fields, path=sneaky)


def test_progress_is_in_bytes_and_moves_while_streaming(tmp_path, context, people_fields):
    path = write(tmp_path, HEADER + "".join(f"{i:012d},Người số {i},w\n" for i in range(20_000)))
    size = path.stat().st_size
    reader = connector(context, people_fields)
    assert reader.unit == "bytes"
    assert reader.progress() == (0, None)
    batches = reader.batches(batch_size=1000)
    next(batches)
    done, total = reader.progress()
    assert total == size
    assert 0 < done < size / 2  # only what the first batch needed has been read
    for _ in batches:
        pass
    assert reader.progress() == (size, size)


def test_describe_names_the_absolute_path(tmp_path, context, people_fields):
    assert connector(context, people_fields).describe() == f"CSV {tmp_path.resolve() / 'p.csv'}"


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"path": "p.csv", "delimeter": ";"}, ("source", "delimeter")),  # typo
        ({}, ("source", "path")),  # path is required
        ({"path": "p.csv", "delimiter": ";;"}, ("source", "delimiter")),  # one character
        ({"path": "p.csv", "encoding": "vni"}, ("source", "encoding")),  # unknown codec
        ({"path": "p.csv", "columns": {"a": "nope"}}, ("source", "columns", "a")),  # no field
        (
            {"path": "p.csv", "columns": {"a": "ward", "b": "ward"}},
            ("source", "columns"),
        ),  # two columns into one field
    ],
)
def test_bad_options_point_at_the_option(context, people_fields, options, path):
    with pytest.raises(DocumentError) as caught:
        CsvConnector.from_source(
            SourceSpec(connector="csv", **options), context=context, fields=people_fields
        )
    assert caught.value.problems[0].path == path
