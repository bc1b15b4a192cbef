"""The methods: the method API, where methods come from, the harness that runs them, and the baselines.

May import formats/, workspace/, scoring/ and the base modules (never tasks/, sources/ or plotting/).
:mod:`.api` (what a method is given and returns), :mod:`.registry` (built-in names, entry points,
``module:function`` and ``file.py:function``), :mod:`.harness` (each method in a forked child, timed,
its result checked like a submitted file and written), :mod:`.timing`.
The baselines are methods on that API, one module per concern: :mod:`.streaming` (bounded scans of
the candidate pool), :mod:`.training_sets` (shared pieces), :mod:`.selection`, :mod:`.selftrain`,
:mod:`.propagation`, :mod:`.fpscv`, :mod:`.pseudo_labels` and :mod:`.uncertainty` (selection baselines),
:mod:`.knn_shapley`, :mod:`.tmc_shapley`, :mod:`.data_oob`, :mod:`.semivalues`, :mod:`.influence`,
:mod:`.label_noise` and :mod:`.confident_learning` (debugging valuations), :mod:`.debugging` (debugging
baselines).
Baselines use only what a participant is given, never test sets or ground truth.
"""
