"""Minimal OpenAI proxies on several HTTP stacks, a zero-latency upstream, and the runner."""
