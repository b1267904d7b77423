"""``python -m lththeory.sweep``: see :mod:`lththeory.sweep.cli`."""

from .cli import main

raise SystemExit(main(exiting=True))
