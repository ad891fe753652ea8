"""Shared foundations: events, errors and settings. Imports neither Qt nor mlx."""
