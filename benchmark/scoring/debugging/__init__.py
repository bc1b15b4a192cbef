"""The debugging score under its two protocols side by side: corrected (default) and dataperf_2022 (the original).

May import scoring/ (classifier, solver) and the base modules; states.py holds what both protocols share.
"""
