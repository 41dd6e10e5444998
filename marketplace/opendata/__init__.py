"""Open data: the programme as Open Contracting Data Standard (OCDS) 1.1 releases and records.

Every public scenario is one contracting process (``ocid`` = the ``OCDS_OCID_PREFIX`` setting
plus the scenario id). Its releases are built from public information only (the public
scenario read, the published result, the public pilot view and the public change log), never
from internal tables of the evaluation, so nothing sealed, scored or unpublished can appear.
``ocds.py`` is pure (facts in, OCDS JSON out); ``services.py`` gathers the public facts and
pages releases with an opaque ``since`` cursor; ``api.py`` serves them under ``/api/v1/ocds``.
"""
