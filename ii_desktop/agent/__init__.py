"""The research agent: the tool-calling loop that turns a question into a sourced answer.

Shared by the GUI, the CLI, fact checking and benchmarks. Imports neither Qt nor mlx:
it talks to any engine through ``ii_desktop.engine.base.Engine``.
"""
