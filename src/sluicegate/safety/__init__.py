"""Safety detectors: pure functions from text to a `Verdict`, and clients of remote detectors.

Detectors know nothing of requests, policies or actions; `policies/shields.py` decides what a
verdict means for a request (block, redact, annotate or only log).
"""
