"""``python -m wskit``: the command line (see :mod:`wskit.cli`)."""

from .cli import main

raise SystemExit(main())
