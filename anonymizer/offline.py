"""Keep Presidio's dependencies off the network. Call ``prepare()`` before importing Presidio.

tldextract (used by Presidio's e-mail recognizer) builds a module-level extractor at
import that fetches the public suffix list on first use, then falls back to its bundled
snapshot after a page of tracebacks. An empty URL list makes it use the snapshot at once.
If something imported tldextract before us, the existing extractor is switched over too.
"""

from __future__ import annotations

import os
import sys

_ENV = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"


def prepare() -> None:
    current = os.environ.get(_ENV)
    if current is None or "http" in current.lower():
        # a local file list is fine; anything fetched over the network is not
        os.environ[_ENV] = ""
    module = sys.modules.get("tldextract.tldextract")
    if module is not None:
        extractor = getattr(module, "TLD_EXTRACTOR", None)
        if extractor is not None and getattr(extractor, "suffix_list_urls", None):
            extractor.suffix_list_urls = ()
