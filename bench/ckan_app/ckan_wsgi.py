"""CKAN as a WSGI app for gunicorn, without Solr (runs in CKAN's own virtualenv).

    gunicorn --pythonpath bench/ckan_app ckan_wsgi:application   (bench/ckan.py starts it)

The same app ``tools/ckan/launcher.py`` runs under ``ckan run``: the package search index
is replaced before the app is built (see that file); the config file is $BENCH_CKAN_INI.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "ckan"))

import launcher  # tools/ckan/launcher.py, importable once the path is set

launcher.install_solrless_search()

from ckan.cli import CKANConfigLoader  # noqa: E402
from ckan.config.middleware import make_app  # noqa: E402

logging.basicConfig(level=logging.WARNING)
application = make_app(CKANConfigLoader(os.environ["BENCH_CKAN_INI"]).get_config())
