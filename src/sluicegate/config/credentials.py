"""How the gateway proves itself to a service it calls: backends, and remote safety detectors.

Secrets are `SecretStr`, so they never show in a repr, a log line or an error.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr

from sluicegate.config.strict import Strict


class NoAuth(Strict):
    type: Literal["none"] = "none"


class ApiKeyAuth(Strict):
    """Azure OpenAI's `api-key` header."""

    type: Literal["api-key"]
    key: SecretStr


class BearerAuth(Strict):
    """OpenAI-style `Authorization: Bearer` header."""

    type: Literal["bearer"]
    token: SecretStr


class EntraAuth(Strict):
    """Microsoft Entra ID tokens from azure-identity's DefaultAzureCredential (extra `entra`)."""

    type: Literal["entra"]
    scope: str = "https://cognitiveservices.azure.com/.default"
    managed_identity_client_id: str | None = None


BackendAuth = Annotated[NoAuth | ApiKeyAuth | BearerAuth | EntraAuth, Field(discriminator="type")]
