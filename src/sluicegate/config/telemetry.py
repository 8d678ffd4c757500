"""Settings for what the gateway tells operators about itself: Prometheus metrics."""

from __future__ import annotations

from sluicegate.config.strict import Strict


class MetricsSettings(Strict):
    enabled: bool = True
    """Serve `GET /metrics` in the Prometheus text format. With authentication on it needs a
    key or token with the role `admin` or `operator` (give the scraper an operator key); with
    it off it is open, like everything else."""
