"""Sweep adapters: one module per experiment, each exposing the interface used by
:mod:`lththeory.sweep`:

``NAME``, ``AXES`` (name -> :class:`lththeory.sweep.Axis`), ``COLUMNS``,
``add_arguments(parser)``, ``configure(args, common) -> dict`` (validated, JSON-serialisable),
``point_key(point) -> tuple`` and ``row_key(row) -> tuple`` (for --resume), ``parse_row(row) -> dict``,
``run_point(point, config) -> dict`` (one CSV row), ``plot(rows, config, outdir) -> list[str]``,
``summarize(rows, config, outdir, figures, wall_time_s) -> str``.
"""
