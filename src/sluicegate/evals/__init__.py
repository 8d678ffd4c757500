"""Evaluations: a dataset of inputs x prompt versions -> answers through an OpenAI-compatible
endpoint -> evaluators -> per-item scores, paired comparisons and reports. A tool: it speaks HTTP
and the wire schema only."""
