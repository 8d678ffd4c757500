"""Remote detectors: Azure AI Content Safety and a guard model behind an OpenAI-style API.

Each client is built once, owns one connection pool, bounds every check by its timeout, and
applies its failure mode: an `UncheckedVerdict` (fail-open) or `ServiceUnavailable`
(fail-closed) while the service cannot answer. Credentials come from a `HeaderSource`.
"""

from sluicegate.safety.remote.azure_content_safety import AzureContentSafety
from sluicegate.safety.remote.failure_mode import FailureGuard, UncheckedVerdict, is_unchecked
from sluicegate.safety.remote.failures import RemoteDetectorError
from sluicegate.safety.remote.guard_model import GuardModel
from sluicegate.safety.remote.headers import HeaderSource, StaticHeaders, static_headers

__all__ = [
    "AzureContentSafety",
    "FailureGuard",
    "GuardModel",
    "HeaderSource",
    "RemoteDetectorError",
    "StaticHeaders",
    "UncheckedVerdict",
    "is_unchecked",
    "static_headers",
]
