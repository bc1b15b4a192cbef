"""Many L2 logistic regressions on one training matrix at once, with certified test predictions (batched.py).

May import scoring.classifier and numpy/SciPy only.
"""
