"""Settings for the admin HTTP API under `/admin/…` (keys, teams, quotas, usage, audit)."""

from __future__ import annotations

from sluicegate.config.strict import Strict


class AdminSettings(Strict):
    enabled: bool = True
    """Serve the admin API. It needs a key or token with the role `admin` (everything) or
    `operator` (reads only), like model calls need one."""
    without_auth: bool = False
    """Also serve it when `auth.enabled` is false. Off by default: without authentication the
    admin API is not mounted at all (its paths answer 404), since anyone who reaches the port
    could otherwise issue keys. On, every caller is an anonymous admin: local experiments
    only."""
