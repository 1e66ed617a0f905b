"""Agenda API core: the shared layer every function stands on.

Dependency direction (enforced by import-linter, see pyproject.toml):
functions -> http | services -> schemas | db | integrations -> errors | settings | observability.
"""
