"""Backends: the only way out of the process (HTTP to OpenAI and Azure OpenAI)."""
