"""Placeholder: being written."""
from litestar import Controller


class HomePageController(Controller):
    path = "/_placeholder_HomePageController"


class ScenarioPagesController(Controller):
    path = "/_placeholder_ScenarioPagesController"
