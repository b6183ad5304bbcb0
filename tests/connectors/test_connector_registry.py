"""The registry: built-ins, third-party entry points, laziness and import boundaries."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import registry
from connectors.base import Connector, ConnectorContext, ConnectorOptions, RawRow
from connectors.csv_source import CsvConnector
from connectors.descriptor import load_descriptor
from connectors.errors import ConnectorLoadError, UnknownConnector
from connectors.registry import ConnectorRegistry

ROOT = Path(__file__).resolve().parents[2]


class _MemoryOptions(ConnectorOptions):
    rows: int = 1


class MemoryConnector(Connector):
    name = "memory"
    Options = _MemoryOptions
    unit = "rows"

    def batches(self, batch_size: int = 5000) -> Iterator[list[RawRow]]:
        yield [RawRow(n, {"id": str(n)}) for n in range(1, self.options.rows + 1)]

    def describe(self) -> str:
        return "memory"

    def progress(self) -> tuple[int, int | None]:
        return 0, None


def test_builtins_are_registered():
    assert registry.names() == ["csv", "http", "sql"]
    assert registry.get("csv") is CsvConnector


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownConnector, match=r"unknown connector 'excel'; use one of: csv, http"):
        registry.get("excel")


def test_register_works_as_a_decorator_and_is_idempotent():
    fresh = ConnectorRegistry(builtins=(), group=None)
    assert fresh.register(MemoryConnector) is MemoryConnector
    fresh.register(MemoryConnector)
    assert fresh.names() == ["memory"]


def test_a_taken_name_can_not_be_stolen():
    fresh = ConnectorRegistry(group=None)

    class FakeCsv(MemoryConnector):
        name = "csv"

    fresh.names()  # loads the built-ins
    with pytest.raises(ValueError, match=r"'csv' is already taken by connectors\.csv_source"):
        fresh.register(FakeCsv)


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (dict, "is not a subclass of connectors.base.Connector"),  # not a connector
        (Connector, "does not implement every abstract method"),  # abstract
        (type("Nameless", (MemoryConnector,), {"name": "Bad Name"}), "must be lower-case"),
    ],
)
def test_register_refuses_what_is_not_a_connector(cls, message):
    with pytest.raises(TypeError, match=message):
        ConnectorRegistry(builtins=(), group=None).register(cls)


def test_open_source_builds_the_named_connector_from_a_descriptor(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_text("citizen_id,ward\n1,w\n")
    descriptor = load_descriptor(
        textwrap.dedent(
            """
            id: population-registry
            title: Population registry
            agency: cong-an
            classification: restricted
            primary_key: citizen_id
            source: {connector: csv, path: data/people.csv}
            fields:
              - {name: citizen_id, type: string}
              - {name: ward, type: string}
            """
        )
    )
    source = registry.open_source(
        descriptor.source,
        context=ConnectorContext(base_dir=tmp_path),
        fields=descriptor.fields,
    )
    assert isinstance(source, CsvConnector)
    assert [r.values for b in source.batches() for r in b] == [{"citizen_id": "1", "ward": "w"}]


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed-looking distribution declaring connectors in the entry-point group."""
    (tmp_path / "civichub_fake_plugin.py").write_text(
        textwrap.dedent(
            """
            from connectors.base import Connector, ConnectorOptions, RawRow

            class Options(ConnectorOptions):
                pass

            class Excel(Connector):
                name = "excel"
                Options = Options
                unit = "rows"

                def batches(self, batch_size=5000):
                    yield [RawRow(1, {"id": "1"})]

                def describe(self):
                    return "excel"

                def progress(self):
                    return 0, None

            class Csv(Excel):
                name = "csv"
            """
        )
    )
    dist = tmp_path / "civichub_fake_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: civichub-fake-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[civichub.connectors]\n"
        "excel = civichub_fake_plugin:Excel\n"
        "broken = civichub_fake_missing_module:Nope\n"
        "csv = civichub_fake_plugin:Csv\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_entry_points_are_discovered_on_first_lookup(plugin_dir):
    fresh = ConnectorRegistry()
    assert fresh.get("excel").__module__ == "civichub_fake_plugin"
    assert fresh.names() == ["csv", "excel", "http", "sql"]
    assert fresh.get("csv") is CsvConnector  # a plugin can not replace a built-in


def test_a_broken_entry_point_is_reported_without_breaking_the_rest(plugin_dir):
    fresh = ConnectorRegistry()
    problems = fresh.load_problems()
    assert set(problems) == {"broken", "csv"}
    assert "No module named 'civichub_fake_missing_module'" in problems["broken"]
    assert "already taken" in problems["csv"]
    with pytest.raises(ConnectorLoadError, match=r"'broken' is installed but could not be loaded"):
        fresh.get("broken")


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_connectors_does_no_work():
    out = _python(
        """
        import sys
        import connectors, connectors.registry as r
        print(r._default._loaded, "connectors.csv_source" in sys.modules, "httpx" in sys.modules)
        """
    )
    assert out.split() == ["False", "False", "False"]


def test_connectors_never_import_the_web_layer():
    out = _python(
        """
        import sys
        import connectors.registry as r, connectors.validate
        r.names()
        print(sorted(m for m in sys.modules if m.split(".")[0] in {"fastapi", "hub", "starlette"}))
        """
    )
    assert out.strip() == "[]"
