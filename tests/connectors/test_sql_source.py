"""The ``sql`` connector on real SQLite files and the real local PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from connectors.base import ConnectorContext, RawRow
from connectors.descriptor import FieldSpec, FieldType, SourceSpec
from connectors.errors import DocumentError, SourceError
from connectors.sql_source import SqlConnector

FIELDS = [
    FieldSpec(name="citizen_id", type=FieldType.string),
    FieldSpec(name="born", type=FieldType.date),
    FieldSpec(name="income", type=FieldType.number),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database holding ``people`` (1,200 rows) on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'agency.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE people (citizen_id VARCHAR(12), born DATE, income NUMERIC(12, 2), "
            '"Extra" INTEGER)'
        )
        conn.execute(
            sa.text("INSERT INTO people VALUES (:c, :b, :i, 1)"),
            [
                {"c": f"{n:012d}", "b": dt.date(1990, 1, 1) + dt.timedelta(days=n), "i": n}
                for n in range(1200)
            ],
        )
    engine.dispose()
    return url


def connector(url: str, context: ConnectorContext, **options: Any) -> SqlConnector:
    source = SourceSpec(connector="sql", url=url, **options)
    return SqlConnector.from_source(source, context=context, fields=FIELDS)


def all_rows(reader: SqlConnector, batch_size: int = 5000) -> list[RawRow]:
    return [row for batch in reader.batches(batch_size) for row in batch]


def test_table_streams_in_batches_with_native_values(url, context):
    reader = connector(url, context, table="people")
    batches = list(reader.batches(batch_size=500))
    assert [len(b) for b in batches] == [500, 500, 200]
    first = batches[0][0]
    assert first.number == 1
    assert first.values["citizen_id"] == "000000000000"
    assert first.values["born"] in (dt.date(1990, 1, 1), "1990-01-01")  # SQLite has no DATE
    assert Decimal(str(first.values["income"])) == 0
    assert set(first.values) == {"citizen_id", "born", "income"}  # "Extra" is ignored
    assert batches[-1][-1].number == 1200
    assert reader.progress()[0] == 1200


def test_query_with_renamed_columns(url, context):
    reader = connector(
        url,
        context,
        query="SELECT citizen_id AS so_cccd, born, income FROM people WHERE income < 3",
        columns={"so_cccd": "citizen_id"},
    )
    assert [r.values["citizen_id"] for r in all_rows(reader)] == [
        "000000000000",
        "000000000001",
        "000000000002",
    ]
    assert reader.progress() == (3, None)  # a query's size is not known up front


def test_missing_fields_name_the_columns_the_result_has(url, context):
    reader = connector(url, context, query="SELECT citizen_id, born FROM people")
    with pytest.raises(SourceError, match=r"SQL result lacks fields: income \(it has: citizen_id"):
        all_rows(reader)


def test_missing_table_is_a_source_error(url, context):
    with pytest.raises(SourceError, match=r"cannot read table 'nobody'"):
        all_rows(connector(url, context, table="nobody"))


def test_bad_query_is_a_source_error(url, context):
    with pytest.raises(SourceError, match=r"cannot read the query"):
        all_rows(connector(url, context, query="SELECT nope FROM people"))


def test_url_from_the_environment(url, tmp_path):
    context = ConnectorContext(base_dir=tmp_path, env={"AGENCY_DB": url})
    reader = connector("${env:AGENCY_DB}", context, table="people")
    assert len(all_rows(reader)) == 1200
    assert reader.describe() == "SQL ${env:AGENCY_DB} table people"


def test_postgresql_schema_table_and_estimated_total(pg_schema_url, context):
    schema = unquote(pg_schema_url).rsplit("search_path=", 1)[1]
    engine = sa.create_engine(pg_schema_url)
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE "People" (citizen_id TEXT, born DATE, income REAL)')
        conn.exec_driver_sql(
            'INSERT INTO "People" '
            "SELECT g::text, DATE '2000-01-01', g FROM generate_series(1, 50) g"
        )
        conn.exec_driver_sql('ANALYZE "People"')
    engine.dispose()
    reader = connector(pg_schema_url, context, table=f"{schema}.People")
    assert len(all_rows(reader)) == 50
    assert reader.progress() == (50, 50)


def test_postgresql_reads_in_a_read_only_transaction(pg_schema_url, context):
    engine = sa.create_engine(pg_schema_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SEQUENCE tickets")
    # nextval() writes; only a read-only transaction refuses it inside a plain SELECT
    sneaky = "SELECT nextval('tickets')::text AS citizen_id, NULL AS born, NULL AS income"
    with pytest.raises(SourceError, match=r"cannot execute nextval\(\) in a read-only transaction"):
        all_rows(connector(pg_schema_url, context, query=sneaky))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT nextval('tickets')").scalar() == 1
    engine.dispose()


def test_postgresql_uses_a_server_side_cursor(pg_schema_url, context):
    # PostgreSQL refuses a data-modifying WITH only in DECLARE CURSOR: proof of streaming
    engine = sa.create_engine(pg_schema_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (citizen_id TEXT, born DATE, income REAL)")
        conn.exec_driver_sql("INSERT INTO people VALUES ('1', NULL, NULL)")
    sneaky = "WITH gone AS (DELETE FROM people RETURNING *) SELECT * FROM gone"
    with pytest.raises(SourceError, match="DECLARE CURSOR must not contain data-modifying"):
        all_rows(connector(pg_schema_url, context, query=sneaky))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM people").scalar() == 1
    engine.dispose()


def test_sqlite_total_is_the_row_count(url, context):
    if not url.startswith("sqlite"):
        return  # PostgreSQL estimates instead; covered above
    reader = connector(url, context, table="people")
    batches = reader.batches(batch_size=100)
    next(batches)
    assert reader.progress() == (100, 1200)
    batches.close()


def test_unreachable_database_is_a_source_error(context):
    reader = connector("postgresql+psycopg://nobody:pw@127.0.0.1:1/x", context, table="people")
    with pytest.raises(SourceError, match=r"cannot read table 'people' from SQL .*:\*\*\*@"):
        all_rows(reader)


def test_describe_hides_the_password(context):
    reader = connector("postgresql+psycopg://u:s3cret@db.example/x", context, table="a.b")
    assert reader.describe() == "SQL postgresql+psycopg://u:***@db.example/x table a.b"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "sqlite://"}, "exactly one of `table` or `query`"),  # neither
        (
            {"url": "sqlite://", "table": "a", "query": "SELECT 1"},
            "exactly one of `table` or `query`",
        ),  # both
        ({"url": "sqlite://", "table": "a; DROP TABLE b"}, "must be a name or schema.name"),
        ({"url": "sqlite://", "query": "DELETE FROM people"}, "single SELECT"),  # not a read
        ({"url": "sqlite://", "query": "SELECT 1; DROP TABLE x"}, "single SELECT"),  # two
        ({"url": "not a url", "table": "a"}, "not a database URL"),  # garbage URL
    ],
)
def test_bad_options(context, options, message):
    with pytest.raises(DocumentError, match=message) as caught:
        SqlConnector.from_source(
            SourceSpec(connector="sql", **options), context=context, fields=FIELDS
        )
    assert caught.value.problems[0].path[0] == "source"


def test_a_trailing_semicolon_is_fine(tmp_path, context):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    reader = connector(url, context, query="SELECT '1' AS citizen_id, NULL AS born, 2 AS income;")
    assert all_rows(reader)[0].values == {"citizen_id": "1", "born": None, "income": 2}
