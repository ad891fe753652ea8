"""Benchmarks run through the app's own run layer (``qa``: SimpleQA, FRAMES, Seal-0)."""
