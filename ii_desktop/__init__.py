"""ii-desktop: a private desktop research assistant around the II-Search-4B model."""

__version__ = "0.1.0"
__all__ = ["__version__"]
