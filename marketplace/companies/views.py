"""Placeholder: being written."""
from litestar import Controller


class CompanyPagesController(Controller):
    path = "/_placeholder_CompanyPagesController"
