"""Span attribute names: the OpenTelemetry GenAI, HTTP and error conventions, and our own.

Written out rather than imported from the incubating semantic-conventions module, whose
GenAI names are moving to a repository of their own; these are the names current backends
read. `gen_ai.provider.name` replaces the deprecated `gen_ai.system`.
"""

from __future__ import annotations

from typing import Final

OPERATION: Final = "gen_ai.operation.name"
PROVIDER: Final = "gen_ai.provider.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_STREAM: Final = "gen_ai.request.stream"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"

HTTP_METHOD: Final = "http.request.method"
HTTP_STATUS: Final = "http.response.status_code"
HTTP_RESPONSE_HEADER: Final = "http.response.header"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
ERROR_TYPE: Final = "error.type"

REQUEST_ID: Final = "sluicegate.request_id"
ROUTE: Final = "sluicegate.route"
BACKEND: Final = "sluicegate.backend"
"""On the server span: the backend that served; on an attempt span: the one tried."""
ATTEMPTS: Final = "sluicegate.attempts"
ATTEMPT: Final = "sluicegate.attempt"
"""The attempt's number within its request, from 1."""
SPILLED_OVER: Final = "sluicegate.spilled_over"
TEAM: Final = "sluicegate.team"
PROMPT_VERSION: Final = "sluicegate.prompt_version"
PROMPT_LABEL: Final = "sluicegate.prompt_label"
"""The label a rendered prompt was resolved by (absent when a version was named)."""

CANCELLED: Final = "cancelled"
"""`error.type` of a request or attempt cut short: the client went away or the gateway shut
down mid-request."""
