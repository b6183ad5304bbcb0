"""Access policies: who may read which fields of a dataset, for which purpose, how treated.

A library: no web framework, no database. Import what you need from its modules
(``policies.model``, ``policies.engine``, ``policies.permissions``, ``policies.treatments``);
this package file stays empty of imports so that importing one part does not load the
others (the gazetteer in ``policies.geo`` in particular is built only on first use).
"""
