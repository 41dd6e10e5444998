"""Connects the domains' event handlers (``marketplace.core.events``): the one place that knows
which higher domain reacts to which lower domain's events. Called by ``create_app``, the CLI
and the test set-up; calling it again changes nothing."""

from __future__ import annotations


def connect() -> None:
    from marketplace.evaluation import handlers as evaluation_handlers
    from marketplace.proposals import handlers as proposal_handlers

    proposal_handlers.connect()
    evaluation_handlers.connect()
