"""Fact checking: every claim on a page checked against independent sources.

``source`` reads what is checked, ``claims`` finds the page's claims and where they sit,
``verify`` turns a research run's answer into a verdict with evidence that holds up,
``pipeline`` runs the whole check on a ``ResearchSession`` and keeps its state so it
can be resumed, ``start`` creates a check (its notebook and state).
"""
