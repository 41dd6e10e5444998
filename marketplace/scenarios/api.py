"""Placeholder: being written."""
from litestar import Controller


class ScenarioApiController(Controller):
    path = "/_placeholder_ScenarioApiController"


class TaxonomyApiController(Controller):
    path = "/_placeholder_TaxonomyApiController"
