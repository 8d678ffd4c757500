"""The built-in evaluators: reference metrics (exact match, token F1, BLEU, ROUGE-L), format
checks (regex, JSON, JSON schema), embedding similarity, the LLM judge and user functions.
`sluicegate.evals.registry` builds them from the specs the command line passes."""
