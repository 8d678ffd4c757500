"""Prompt templates as pure functions: prompty files parsed and written back, declared inputs
checked, Jinja2 (sandboxed) rendered into chat messages, versions compared, traffic split. No I/O,
no knowledge of requests: the gateway, the admin tools and the evaluation tool all build on it."""
