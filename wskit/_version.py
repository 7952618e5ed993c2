"""wskit's version, in a leaf of its own.

``wskit/__init__.py`` re-exports it as ``wskit.__version__``; modules inside
the package that write it into files (the event log's HAR export, cassette
headers) import it from here, since nothing inside wskit imports the facade.
Keep it equal to ``version`` in ``pyproject.toml``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
