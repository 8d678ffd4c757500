"""Findings the safety policies acted on: noted on the exchange and logged, never with text."""

from __future__ import annotations

import logging

from sluicegate.core.exchange import Exchange, ShieldEvent
from sluicegate.policies.shields.results import Judged

log = logging.getLogger("sluicegate.safety")


def record_event(exchange: Exchange, direction: str, judged: Judged) -> None:
    finding = judged.finding
    action = judged.action or "none"
    event = ShieldEvent(
        direction,
        finding.category.value,
        finding.label,
        finding.severity,
        action,
        finding.detector,
    )
    exchange.shield_events.append(event)
    log.log(
        logging.WARNING if action in ("block", "shadow") else logging.INFO,
        "request %s: %s %s%s (severity %d, %s) in %s: %s",
        exchange.request_id,
        finding.detector or "detector",
        finding.category.value,
        f"/{finding.label}" if finding.label else "",
        finding.severity,
        f"score {finding.score:.2f}",
        direction,
        "would block (shadow mode)" if action == "shadow" else action,
        extra={"request_id": exchange.request_id, "shield_event": event},
    )
