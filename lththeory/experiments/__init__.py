"""Sweep adapters: one module per experiment, each exposing the interface used by
:mod:`lththeory.sweep`:

``NAME``, ``AXES`` (name -> :class:`lththeory.sweep.Axis`), ``COLUMNS``,
``add_arguments(parser)``, ``configure(args, common) -> dict`` (validated, JSON-serialisable),
optionally ``check_grid(points, config)`` and ``DEFAULT_TRIALS``,
``run_point(point, config) -> dict`` (one CSV row), ``plot(rows, config, outdir) -> list[str]``,
``summarize(rows, config, outdir, figures, wall_time_s) -> str``.

``--resume`` matches earlier rows to grid points by the axis values (parsed with ``AXES[name].parse``)
and reads every other cell back with :func:`lththeory.sweep.parse_value`.
"""
