"""Stores: SQL (SQLite, PostgreSQL) and counters (memory, Redis) behind core protocols."""
