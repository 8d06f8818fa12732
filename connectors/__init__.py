"""Connectors: one module per external service, each behind a small Protocol, plus embedded defaults.

Which backend serves a role is chosen in one place, `flows/_runtime.py` (the composition root).
"""
