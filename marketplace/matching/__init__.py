"""Matching scenarios to company capabilities (pure scoring functions plus a service that loads,
scores and explains). Reads the domains' tables; no domain service imports it."""
