"""Connectors: read an agency's source data in batches for ingest.

- ``descriptor``: the dataset descriptor (fields, types, source)
- ``base``: the ``Connector`` base class, ``ConnectorContext`` and ``RawRow``
- ``registry``: connectors by name (built-ins and ``civichub.connectors`` entry points)
- ``csv_source``, ``sql_source``, ``http_source``: the built-in connectors
- ``validate``: typing raw rows into records, or rejections that say what to fix

Importing this package does nothing else: connectors load on first lookup.
"""
