"""The workspace's folders: their names and naming rules (layout), and whether a task may read and write them (access).

May import only the base modules (errors, logs).
"""
