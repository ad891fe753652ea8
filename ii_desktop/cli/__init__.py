"""The ``ii-desktop`` command line: every capability, headless."""
