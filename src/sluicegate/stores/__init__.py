"""Stores: SQL (SQLite, PostgreSQL) and counter (memory, Redis) implementations of core protocols."""
