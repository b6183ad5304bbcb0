"""Civic Data Hub: the HTTP API, CLI and store that wire the libraries together."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("civic-data-hub")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+local"
