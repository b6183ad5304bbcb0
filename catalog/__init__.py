"""Open data: de-identification (k-anonymity, ℓ-diversity), the residual PII gate and the
local Frictionless catalog. Import the modules you need; nothing is loaded here.

* ``catalog.deidentify``: ``plan_deidentification`` and ``apply_plan`` (the entry points)
* ``catalog.hierarchies``: generalization ladders per field type
* ``catalog.lattice``: the search for the least generalization reaching k
* ``catalog.risk``: re-identification risk from class sizes
* ``catalog.gate``: refuse a result in which the PII analyzer still finds something
* ``catalog.package``: write a Frictionless Data Package atomically (``publish_local``)
* ``catalog.errors``: ``CatalogError`` and its subclasses
"""
