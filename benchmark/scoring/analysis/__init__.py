"""Analyses beyond the leaderboard number: order quality, random and oracle references, budget curves, hard slices.

May import scoring/ (classifier, selection, debugging) and the base modules. Pure functions on arrays; the
evaluation tasks hand them what they already computed, and the few new fits go through callables they pass in.
"""
