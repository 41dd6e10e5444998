"""Placeholder: being written."""
from litestar import Controller


class CompanyApiController(Controller):
    path = "/_placeholder_CompanyApiController"
