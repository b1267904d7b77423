"""Claim 4 at CPU scale: training inside fixed ER masks with PyTorch (docs/theory.md §7).

torch is imported only by the modules that train (this package) and by :mod:`lththeory.export`;
importing ``lththeory.training`` itself, :mod:`.data`, :mod:`.idx` or :mod:`.methods` (the torch-free
method registry) does not import it.

* :mod:`.data` (digits, MNIST-1D, Fashion-MNIST; splits from the run seed) and :mod:`.idx` (IDX files);
* :mod:`.models` (MLPs, a small CNN, the init), :mod:`.masks` (ER masks attached with
  ``torch.nn.utils.prune.custom_from_mask``, realised densities), :mod:`.loop` (training, evaluation,
  FLOP and update counts);
* :mod:`.methods` (``static``, ``imp``, ``snip``, ``synflow``, ``edge-popup``, one module each,
  registered in ``lththeory.registry.TRAINING_METHODS``), :mod:`.run` (one trial of one variant and
  its summary over seeds), :mod:`.compare` (the paper's three comparisons side by side) and
  :mod:`.planted` (planted tickets: training a masked student on a teacher's outputs).
"""
