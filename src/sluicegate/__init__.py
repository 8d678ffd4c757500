"""sluicegate: a self-hosted production gateway for GenAI applications."""

__version__ = "0.1.0"
