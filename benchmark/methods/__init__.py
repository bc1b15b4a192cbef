"""The methods: reference baselines for both benchmarks, written as ordinary submissions.

May import formats/, workspace/, scoring/ and the base modules (never tasks/, sources/ or plotting/).
One module per concern: :mod:`.streaming` (bounded scans of the candidate pool),
:mod:`.training_sets` (shared pieces), :mod:`.selection`, :mod:`.selftrain`, :mod:`.propagation`,
:mod:`.fpscv`, :mod:`.pseudo_labels` and :mod:`.uncertainty` (selection baselines), :mod:`.knn_shapley`,
:mod:`.tmc_shapley`, :mod:`.data_oob`, :mod:`.semivalues`, :mod:`.influence`, :mod:`.label_noise` and
:mod:`.confident_learning` (debugging valuations), :mod:`.debugging` (debugging baselines and their time
files), :mod:`.timing`.
Baselines use only what a participant is given, never test sets or ground truth.
"""
