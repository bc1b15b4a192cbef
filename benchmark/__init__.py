"""Reference harness for the DataPerf vision selection and debugging benchmarks.

The folders are the layers; each imports only from the layers below it (tests/test_layers.py checks it):

* ``cli.py``, ``__main__.py`` -- the command line: ``python -m benchmark <task> --param=path``;
* ``tasks/`` -- one thin entrypoint per task: gather the inputs, score, write the results;
* ``methods/`` (the baselines), ``sources/`` (where resources come from), ``plotting/`` (figures, report);
* ``formats/`` -- every file read or written: parameters.yaml, submissions, results, resources;
* ``workspace/`` (folder names, access checks) and ``scoring/`` (pure scoring, both debugging protocols);
* the base: ``errors.py`` (one-line errors, exit codes), ``logs.py`` (log, paths as shown), ``execution.py``.

From Python: :func:`benchmark.scoring.selection.score_training_set` scores one training set;
:class:`benchmark.scoring.debugging.corrected.CleaningEvaluator` and
:func:`benchmark.scoring.debugging.corrected.score_curve` give cleaning curves and debugging scores.
"""
__version__ = "0.1.0"
