"""The request path of a simulated deployment: find it, check the body, apply faults and
forced statuses, admit against capacity, wait out the latency, and answer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

from aiohttp import web

from sluicegate.simulator.capacity import Admission, retry_headers
from sluicegate.simulator.completion import (
    generate_tokens,
    plan_completion,
    requested_max_tokens,
    scripted_tokens,
)
from sluicegate.simulator.deployment import Deployment, Deployments
from sluicegate.simulator.embeddings import (
    EmbeddingInputError,
    embed,
    encode_base64,
    input_keys,
    requested_dimensions,
)
from sluicegate.simulator.latency import Pacing
from sluicegate.simulator.overrides import Fault, OverrideError, Overrides, parse_overrides
from sluicegate.simulator.payloads import Completion, embeddings_body
from sluicegate.simulator.replies import (
    break_connection,
    error_reply,
    json_reply,
    plan_frames,
    stream_reply,
    until_client_leaves,
)
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.request import ParsedRequest, RequestFormatError, parse_request
from sluicegate.wire.token_count import estimate_request_tokens


class SimulatorService:
    """Serves requests for every configured deployment."""

    def __init__(self, deployments: Deployments, stopping: asyncio.Event) -> None:
        self.deployments = deployments
        self.stopping = stopping

    async def handle(
        self, request: web.Request, endpoint: Endpoint, deployment_name: str | None
    ) -> web.StreamResponse:
        """`deployment_name` comes from an Azure deployment path; otherwise from `model`."""
        request_id = str(uuid.uuid4())
        headers = {"apim-request-id": request_id, "x-request-id": request_id}
        deployment = None
        if deployment_name is not None:
            deployment = self.deployments.by_deployment_name(deployment_name)
            if deployment is None:
                return _not_found(deployment_name, headers, azure=True)
            if "api-version" not in request.query:
                return error_reply(
                    400,
                    "Missing the 'api-version' query parameter; add ?api-version=2024-10-21.",
                    "invalid_request_error",
                    "MissingApiVersionParameter",
                    headers,
                    "api-version",
                )
        try:
            parsed = parse_request(
                await request.read(), endpoint, model_required=deployment_name is None
            )
            overrides = parse_overrides(request.headers)
        except RequestFormatError as exc:
            return error_reply(400, str(exc), "invalid_request_error", None, headers, exc.param)
        except OverrideError as exc:
            return error_reply(400, str(exc), "invalid_request_error", None, headers, exc.header)
        if deployment is None:
            assert parsed.model is not None  # parse_request requires it without a deployment
            deployment = self.deployments.find(parsed.model)
            if deployment is None:
                return _not_found(parsed.model, headers, azure=False)
        return await self._serve(request, endpoint, deployment, parsed, overrides, headers)

    async def _serve(
        self,
        request: web.Request,
        endpoint: Endpoint,
        deployment: Deployment,
        parsed: ParsedRequest,
        overrides: Overrides,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        stats = deployment.stats
        if overrides.status is not None:
            return _forced_status(deployment, overrides, headers)
        fault = overrides.fault or deployment.sample_fault()
        if fault is Fault.ERROR:
            stats.errors += 1
            headers.update(deployment.limiter.headers())
            return error_reply(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
                headers,
            )
        if fault is Fault.RESET:
            stats.resets += 1
            return break_connection(request)
        if fault is Fault.HANG:
            stats.hangs += 1
            await until_client_leaves(request, self.stopping)
            return break_connection(request)
        if endpoint is Endpoint.EMBEDDINGS:
            return await self._embeddings(request, deployment, parsed, overrides, fault, headers)
        return await self._completion(
            request, endpoint, deployment, parsed, overrides, fault, headers
        )

    async def _completion(
        self,
        request: web.Request,
        endpoint: Endpoint,
        deployment: Deployment,
        parsed: ParsedRequest,
        overrides: Overrides,
        fault: Fault | None,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        # The gateway's own calibrated estimate: a quota reservation then equals the usage.
        prompt_tokens = estimate_request_tokens(parsed.body, endpoint)
        scripted = scripted_tokens(overrides.reply) if overrides.reply is not None else None
        plan = plan_completion(
            deployment.rng,
            deployment.settings.completion,
            requested_max_tokens(parsed.body),
            len(scripted) if scripted is not None else overrides.completion_tokens,
        )
        admission = deployment.limiter.try_admit(prompt_tokens + plan.tokens)
        headers.update(deployment.limiter.headers())
        if not admission.admitted:
            return _throttled(deployment, admission, overrides, headers)
        completion = Completion(
            endpoint=endpoint,
            model=deployment.settings.model,
            tokens=(
                scripted[: plan.tokens]
                if scripted is not None
                else generate_tokens(deployment.rng, plan.tokens)
            ),
            finish_reason=plan.finish_reason,
            prompt_tokens=prompt_tokens,
            include_usage=parsed.stream and parsed.include_usage,
        )
        pacing = _pacing(deployment, prompt_tokens, overrides)
        if parsed.stream:
            await _sleep(pacing.ttft)
            frames = plan_frames(completion, pacing)
            drop_after = None
            if fault is Fault.DROP:
                deployment.stats.drops += 1
                drop_after = overrides.drop_after
                if drop_after is None:
                    drop_after = max(1, len(frames) // 2)
            response, complete = await stream_reply(request, headers, frames, drop_after)
            if complete:
                _count_served(deployment, prompt_tokens, plan.tokens)
            return response
        seconds = pacing.total_seconds(plan.tokens)
        body = completion.body()
        return await self._whole(
            request, deployment, seconds, fault, body, headers, prompt_tokens, plan.tokens
        )

    async def _embeddings(
        self,
        request: web.Request,
        deployment: Deployment,
        parsed: ParsedRequest,
        overrides: Overrides,
        fault: Fault | None,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        body = parsed.body
        try:
            keys = input_keys(body["input"])
            dimensions = requested_dimensions(body, deployment.settings.embedding_dimensions)
        except EmbeddingInputError as exc:
            return error_reply(400, str(exc), "invalid_request_error", None, headers, exc.param)
        encoding = body.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            return error_reply(
                400,
                "'encoding_format' must be 'float' or 'base64'.",
                "invalid_request_error",
                None,
                headers,
                "encoding_format",
            )
        prompt_tokens = estimate_request_tokens(body, Endpoint.EMBEDDINGS)
        admission = deployment.limiter.try_admit(prompt_tokens)
        headers.update(deployment.limiter.headers())
        if not admission.admitted:
            return _throttled(deployment, admission, overrides, headers)
        vectors = [embed(key, dimensions) for key in keys]
        data = [encode_base64(v) for v in vectors] if encoding == "base64" else vectors
        reply = embeddings_body(deployment.settings.model, data, prompt_tokens)
        seconds = _pacing(deployment, prompt_tokens, overrides).ttft
        return await self._whole(
            request, deployment, seconds, fault, reply, headers, prompt_tokens, 0
        )

    async def _whole(
        self,
        request: web.Request,
        deployment: Deployment,
        seconds: float,
        fault: Fault | None,
        body: bytes,
        headers: Mapping[str, str],
        prompt_tokens: int,
        completion_tokens: int,
    ) -> web.StreamResponse:
        """A non-streaming reply after `seconds`; a drop breaks the connection half-way."""
        if fault is Fault.DROP:
            deployment.stats.drops += 1
            await _sleep(seconds / 2)
            return break_connection(request)
        await _sleep(seconds)
        _count_served(deployment, prompt_tokens, completion_tokens)
        return json_reply(body, headers)


def _pacing(deployment: Deployment, prompt_tokens: int, overrides: Overrides) -> Pacing:
    return deployment.latency.pacing(
        prompt_tokens, ttft_ms=overrides.ttft_ms, tokens_per_second=overrides.tokens_per_second
    )


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def _count_served(deployment: Deployment, prompt_tokens: int, completion_tokens: int) -> None:
    stats = deployment.stats
    stats.requests += 1
    stats.prompt_tokens += prompt_tokens
    stats.completion_tokens += completion_tokens


def _throttled(
    deployment: Deployment, admission: Admission, overrides: Overrides, headers: dict[str, str]
) -> web.Response:
    deployment.stats.throttled += 1
    retry = retry_headers(admission.retry_after)
    message = (
        f"Requests to the deployment '{deployment.settings.name}' have exceeded "
        f"{deployment.limiter.describe()}. Please retry after {retry['Retry-After']} seconds."
    )
    headers.update(retry)
    _apply_retry_overrides(overrides, headers)
    return error_reply(429, message, admission.limit, "429", headers)


def _forced_status(
    deployment: Deployment, overrides: Overrides, headers: dict[str, str]
) -> web.Response:
    status = overrides.status
    assert status is not None
    headers.update(deployment.limiter.headers())
    if status == 429:
        deployment.stats.throttled += 1
        error_type = "requests"
    else:
        deployment.stats.errors += 1
        error_type = "server_error" if status >= 500 else "invalid_request_error"
    _apply_retry_overrides(overrides, headers)
    message = f"Simulated status {status}, forced by the x-sim-status header."
    return error_reply(status, message, error_type, str(status), headers)


def _apply_retry_overrides(overrides: Overrides, headers: dict[str, str]) -> None:
    """`x-sim-retry-after-ms` and `x-sim-retry-after` set those headers verbatim."""
    if overrides.retry_after_ms is not None:
        headers["retry-after-ms"] = overrides.retry_after_ms
    if overrides.retry_after is not None:
        headers["Retry-After"] = overrides.retry_after


def _not_found(name: str, headers: Mapping[str, str], *, azure: bool) -> web.Response:
    if azure:
        return error_reply(
            404,
            f"The API deployment '{name}' does not exist on this simulator; "
            "check the deployment name in the URL.",
            "invalid_request_error",
            "DeploymentNotFound",
            headers,
        )
    return error_reply(
        404,
        f"The model '{name}' does not exist; GET /v1/models lists the names this simulator serves.",
        "invalid_request_error",
        "model_not_found",
        headers,
        "model",
    )
