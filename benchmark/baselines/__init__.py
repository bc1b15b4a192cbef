"""Reference baselines for both benchmarks, written as ordinary submissions.

One module per concern: :mod:`.streaming` (bounded scans of the candidate pool),
:mod:`.training_sets` (shared pieces), :mod:`.selection_methods` and
:mod:`.selftrain` (selection baselines),
:mod:`.knn_shapley` and :mod:`.label_noise` (debugging valuations),
:mod:`.debugging_methods` (debugging baselines and their time files), :mod:`.timing`.
Baselines use only what a participant is given, never test sets or ground truth.
"""
