"""Every file the harness reads or writes, each format with one home: parameters.yaml, submissions, results, resources.

May import workspace/, scoring/ (the classifier settings parameters.yaml is checked against) and the base modules.
"""
