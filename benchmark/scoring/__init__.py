"""Pure scoring: arrays and settings in, numbers out; the selection metrics, both debugging protocols, intervals.

May import only the base modules (errors, logs, execution): no files, no parameters, no workspace.
"""
