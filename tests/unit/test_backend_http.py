"""HttpBackend's construction-time work and life cycle, without touching a socket."""

from __future__ import annotations

import pytest
from tests.exchanges import make_exchange as shared_exchange

from sluicegate.backends.credentials import credentials_for
from sluicegate.backends.http import HttpBackend
from sluicegate.config.settings import BackendSettings, RoutingSettings
from sluicegate.core.backend import Backend
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import UpstreamConnectError, UpstreamTimeout
from sluicegate.core.exchange import Exchange


def make(clock: ManualClock) -> HttpBackend:
    settings = BackendSettings.model_validate(
        {
            "name": "ptu-east",
            "url": "https://east.openai.azure.com",
            "api": "azure",
            "deployment": "gpt-4o",
            "auth": {"type": "api-key", "key": "very-secret-key"},
        }
    )
    return HttpBackend(settings, RoutingSettings(), clock, credentials_for(settings.auth, clock))


def exchange(clock: ManualClock, deadline_in: float) -> Exchange:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    return shared_exchange(body=body, request_id="r", started_at=clock.now(), timeout=deadline_in)


def test_satisfies_backend_protocol_and_hides_secrets() -> None:
    backend: Backend = make(ManualClock())
    assert backend.name == "ptu-east"
    text = repr(backend)
    assert "very-secret-key" not in text
    assert "azure.com" not in text


async def test_deadline_already_passed_fails_before_any_connection() -> None:
    clock = ManualClock()
    backend = make(clock)
    request = exchange(clock, deadline_in=1.0)
    clock.advance(2.0)
    with pytest.raises(UpstreamTimeout, match="ptu-east"):
        await backend.send(request)
    await backend.close()


async def test_send_after_close_is_refused() -> None:
    clock = ManualClock()
    backend = make(clock)
    await backend.start()
    await backend.close()
    with pytest.raises(UpstreamConnectError, match="shut down"):
        await backend.send(exchange(clock, deadline_in=30.0))
    await backend.close()


class CountingCredentials:
    def __init__(self) -> None:
        self.closed = 0

    async def headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer t"}

    async def close(self) -> None:
        self.closed += 1


async def test_close_is_idempotent_and_closes_credentials_once() -> None:
    clock = ManualClock()
    credentials = CountingCredentials()
    backend = HttpBackend(
        BackendSettings(name="b", url="http://127.0.0.1:9"), RoutingSettings(), clock, credentials
    )
    await backend.start()
    await backend.close()
    await backend.close()
    assert credentials.closed == 1
