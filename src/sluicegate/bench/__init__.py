"""`sluicegate bench`: load benchmarks of any OpenAI-compatible or Azure OpenAI endpoint."""
