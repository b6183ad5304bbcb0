"""Run the ``ckan`` command line with search served without Solr (test and dev only).

Runs inside the CKAN virtualenv (``.cache/ckan/venv/bin/python launcher.py -c ckan.ini ...``),
never in the hub's. Apache Solr cannot be installed on development and CI machines, and
CKAN 2.12 indexes packages synchronously and counts an organization's packages through
Solr, so ``package_create`` and ``organization_create`` fail with "Search Connection Error"
against a closed ``solr_url``. Before the app (or a CLI command) is built, this launcher

- replaces the package index with ``NoopSearchIndex`` (indexing does nothing), and
- replaces the package query, both in the registry and as the module attribute that
  dictization uses, with a subclass whose ``run()`` answers "no results",

then hands over to ``ckan.cli.cli.ckan()`` with the arguments it was given, e.g.
``-c ckan.ini run -H 127.0.0.1 -p 5000 --disable-reloader`` or ``-c ckan.ini db init``.
Several commands separated by ``::`` run one after the other in the same process (each
``ckan`` process spends seconds starting up): ``-c ckan.ini db init :: sysadmin add ...``;
the leading ``-c ckan.ini`` applies to all of them, the first failure stops the chain.
Consequence: ``package_search`` always answers with no results (look packages up by name
with ``package_show``). Production runs CKAN with Solr (docker-compose.yml).
"""

from __future__ import annotations

import sys
from typing import Any


def install_solrless_search() -> None:
    from ckan.lib import search
    from ckan.lib.search.index import NoopSearchIndex
    from ckan.lib.search.query import PackageSearchQuery

    class NoSolrPackageSearchQuery(PackageSearchQuery):
        """A package query that finds nothing, without asking Solr."""

        def run(
            self,
            query: dict[str, Any],
            permission_labels: list[str] | None = None,
            **kwargs: Any,
        ) -> dict[str, Any]:
            self.count = 0
            self.results = []
            self.facets = {}
            return {"results": [], "count": 0}

        def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
            return []

    search._INDICES["package"] = NoopSearchIndex
    search._QUERIES["package"] = NoSolrPackageSearchQuery
    search.PackageSearchQuery = NoSolrPackageSearchQuery
    # start-up asks Solr for its schema version; there is no Solr to ask
    search.check_solr_schema_version = lambda schema_file=None: False


def main(argv: list[str]) -> None:
    install_solrless_search()
    from ckan.cli.cli import ckan

    if "::" not in argv:
        ckan(args=argv, prog_name="ckan")
        return
    import click

    config = argv[:2] if argv[:1] in (["-c"], ["--config"]) else []
    commands: list[list[str]] = [[]]
    for arg in argv[len(config) :]:
        if arg == "::":
            commands.append([])
        else:
            commands[-1].append(arg)
    for command in commands:
        try:
            ckan.main(args=config + command, prog_name="ckan", standalone_mode=False)
        except click.exceptions.Abort:
            sys.exit(1)
        except click.exceptions.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)


if __name__ == "__main__":
    main(sys.argv[1:])
