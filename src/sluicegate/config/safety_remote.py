"""Settings for the remote safety detectors: Azure AI Content Safety and a guard model.

Both are optional and off unless configured. Keys are `SecretStr` and usually come from the
environment through the loader's `${ENV}` expansion, so they never sit in the file or a log.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from sluicegate.config.credentials import ApiKeyAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.strict import Strict

FailureMode = Literal["fail_open", "fail_closed"]
"""While a remote detector cannot answer: let the text through unchecked (and say so), or
refuse the request with 503."""

AzureTextCategory = Literal["Hate", "Sexual", "SelfHarm", "Violence"]
ALL_TEXT_CATEGORIES: tuple[AzureTextCategory, ...] = ("Hate", "Sexual", "SelfHarm", "Violence")

FindingCategory = Literal[
    "hate",
    "sexual",
    "violence",
    "self_harm",
    "jailbreak",
    "indirect_attack",
    "pii",
    "custom_blocklists",
]
"""The values of `sluicegate.safety.verdict.Category`, by name (config sits below safety)."""

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_HAZARD_CODE = re.compile(r"S[1-9][0-9]?")


def _base_url(value: str) -> str:
    """An http(s) URL with a host and no query or fragment, without its trailing slash."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query string or fragment; paths are appended to it")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; put them under 'auth'")
    return value.rstrip("/")


def _is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in _LOOPBACK_HOSTS


class SubscriptionKeyAuth(Strict):
    """The resource key, sent as `Ocp-Apim-Subscription-Key`."""

    type: Literal["key"]
    key: SecretStr

    @field_validator("key")
    @classmethod
    def _present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty; set the resource key (usually as ${ENV_VAR})")
        return value


ContentSafetyAuth = Annotated[SubscriptionKeyAuth | EntraAuth | NoAuth, Field(discriminator="type")]
"""`key`, `entra` (scope `https://cognitiveservices.azure.com/.default` by default), or `none`
for a Content Safety container that bills through its own settings."""

GuardModelAuth = Annotated[NoAuth | ApiKeyAuth | BearerAuth, Field(discriminator="type")]
"""`none`, `api-key` (an `api-key` header) or `bearer` (`Authorization: Bearer`)."""


class RemoteDetectorSettings(Strict):
    """What every remote detector shares: how long to wait and what to do when it cannot."""

    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    """Bounds one check as a whole: credentials, every chunked call, and reading the replies."""
    failure_mode: FailureMode = "fail_open"
    """`fail_open` lets unchecked text through (logged once per outage; the verdict says it is
    unchecked); `fail_closed` refuses the request with 503 while the detector is down."""
    probe_interval_seconds: float = Field(default=1.0, ge=0, le=300)
    """After a failure, calls in between fail at once and the service is tried again only
    this often (or after its Retry-After), so an outage does not cost every request a
    timeout. 0 tries every request."""
    max_connections: int = Field(default=16, ge=1, le=1024)
    """Connections kept to the service; chunked calls beyond it wait for a free one."""


class ContentSafetyChecks(Strict):
    """Which operations to call; a disabled one reports nothing and costs nothing."""

    analyze: bool = True
    """`text:analyze`: harm categories and blocklists, on prompts and replies."""
    shield_prompt: bool = True
    """`text:shieldPrompt` on the user prompt: direct attacks (jailbreaks)."""
    shield_documents: bool = True
    """`text:shieldPrompt` on documents and tool results: indirect attacks."""


class AzureContentSafetySettings(RemoteDetectorSettings):
    """Azure AI Content Safety, text operations of REST api-version 2024-09-01."""

    endpoint: str
    """The resource endpoint, e.g. https://NAME.cognitiveservices.azure.com."""
    api_version: str = Field(default="2024-09-01", pattern=r"^\d{4}-\d{2}-\d{2}(-preview)?$")
    auth: ContentSafetyAuth
    checks: ContentSafetyChecks = ContentSafetyChecks()
    categories: list[AzureTextCategory] = Field(
        default_factory=lambda: list(ALL_TEXT_CATEGORIES), min_length=1
    )
    """Harm categories `text:analyze` grades; severities come in eight levels (0–7)."""
    blocklist_names: list[
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._~-]+$")]
    ] = Field(default_factory=list)
    """Blocklists (managed in the Azure resource) that `text:analyze` matches; a match is a
    `custom_blocklists` finding labelled with the list's name."""
    halt_on_blocklist_hit: bool = False
    """Skip the harm categories for a text that hit a blocklist (it is blocked anyway)."""

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return _base_url(value)

    @field_validator("categories", "blocklist_names")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise ValueError(f"each entry may appear once; repeated: {', '.join(repeated)}")
        return values

    @model_validator(mode="after")
    def _coherent(self) -> AzureContentSafetySettings:
        if not (self.checks.analyze or self.checks.shield_prompt or self.checks.shield_documents):
            raise ValueError(
                "every check is turned off; enable one under 'checks' or remove the "
                "azure_content_safety section"
            )
        plain = self.endpoint.startswith("http://") and not _is_loopback(self.endpoint)
        if plain and not isinstance(self.auth, NoAuth):
            raise ValueError(
                "endpoint uses plain http:// and would send the credentials in clear; "
                "use https:// (plain http is accepted for 127.0.0.1 and localhost only)"
            )
        if self.blocklist_names and not self.checks.analyze:
            raise ValueError(
                "blocklist_names are matched by text:analyze, which checks.analyze turns off"
            )
        return self


class GuardCategory(Strict):
    """What one hazard code of the guard model means here."""

    category: FindingCategory | None = None
    """The finding's category; unset reports the code as a `custom_blocklists` finding
    labelled with the code, like any code the mapping does not name."""
    severity: int = Field(default=6, ge=1, le=7)
    """0–7 as in Azure's eight levels: 2 low, 4 medium, 6 high."""


DEFAULT_GUARD_CATEGORIES: dict[str, GuardCategory] = {
    "S1": GuardCategory(category="violence", severity=6),  # violent crimes
    "S3": GuardCategory(category="sexual", severity=6),  # sex-related crimes
    "S4": GuardCategory(category="sexual", severity=6),  # child sexual exploitation
    "S9": GuardCategory(category="violence", severity=6),  # indiscriminate weapons
    "S10": GuardCategory(category="hate", severity=6),
    "S11": GuardCategory(category="self_harm", severity=6),  # suicide and self-harm
    "S12": GuardCategory(category="sexual", severity=4),  # sexual content
}
"""Llama Guard 3's codes (the MLCommons hazard taxonomy) that have a harm category here.

S2 non-violent crimes, S5 defamation, S6 specialized advice, S7 privacy, S8 intellectual
property, S13 elections and S14 code interpreter abuse have none: they are reported as
`custom_blocklists` findings labelled with the code, so a policy can still block them.
"""


class GuardModelSettings(RemoteDetectorSettings):
    """A guard model (Llama Guard 3 on vLLM, Ollama, …) behind an OpenAI-compatible API."""

    base_url: str
    """The base URL that `/chat/completions` is appended to, e.g. http://guard:8000/v1."""
    model: str = Field(min_length=1)
    auth: GuardModelAuth = NoAuth()
    max_tokens: int = Field(default=24, ge=1, le=256)
    """Enough for `unsafe` and a few codes; the answer is never longer."""
    max_context_messages: int = Field(default=6, ge=0, le=100)
    """Earlier turns sent along with the checked one; the guard classifies the last turn, and
    the turns before it only give it context."""
    categories: dict[str, GuardCategory] = Field(default_factory=dict)
    """Overrides of `DEFAULT_GUARD_CATEGORIES` by code (`S1`…); other codes keep the default."""

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return _base_url(value)

    @field_validator("categories")
    @classmethod
    def _codes(cls, value: dict[str, GuardCategory]) -> dict[str, GuardCategory]:
        for code in value:
            if not _HAZARD_CODE.fullmatch(code):
                raise ValueError(f"'{code}' is not a hazard code; codes are S1, S2, … S14")
        return value

    @property
    def category_map(self) -> dict[str, GuardCategory]:
        """The defaults with the configured overrides applied."""
        return {**DEFAULT_GUARD_CATEGORIES, **self.categories}


class RemoteDetectorsSettings(Strict):
    """The remote detectors in use; each is off while its section is absent."""

    azure_content_safety: AzureContentSafetySettings | None = None
    guard_model: GuardModelSettings | None = None
