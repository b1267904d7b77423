"""``python -m lththeory.sweep``: see :mod:`lththeory.sweep.cli`."""

from .cli import main

if __name__ == "__main__":  # not when a spawned worker imports the main module
    raise SystemExit(main(exiting=True))
