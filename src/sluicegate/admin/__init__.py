"""Administration: managing keys and teams, and reporting usage, for the CLI and the admin API.

One implementation of each action, so `sluicegate keys …` and `POST /admin/keys` validate,
store and audit alike.
"""
