"""Every file the harness reads or writes, each format with one home: parameters.yaml, submissions, results, resources.
(parameters_reference.py writes the parameters.yaml reference page, docs/parameters.md, from parameters.py.)

May import workspace/, scoring/ (the classifier settings parameters.yaml is checked against) and the base modules.
"""
