"""Reference harness for the DataPerf vision selection and debugging benchmarks.

Use the tasks from the command line (``python -m benchmark <task> --param=path``)
or the scoring functions from Python:

* :func:`benchmark.selection.score_training_set` -- metrics of one training set;
* :class:`benchmark.debugging.CleaningEvaluator` and :func:`benchmark.debugging.score_curve`
  -- cleaning curves and debugging scores.
"""
__version__ = "0.1.0"
