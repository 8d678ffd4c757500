"""The admin HTTP API under `/admin/…`: JSON in and out, documented by its own OpenAPI document.

Keys, teams, blocklists and prompts are managed through the same `admin` classes the command
line uses, so both validate and audit alike; every change is one audit entry naming the caller.
Callers prove who they are as for model calls (a key or a JWT); `admin` may do everything,
`operator` may read, and write prompts (but move no protected label), `app` may do nothing
here. With authentication off the API is not mounted at all unless `admin.without_auth` says so.
"""

from sluicegate.server.admin.blocklists import BlocklistsChanged
from sluicegate.server.admin.mount import (
    OPENAPI_PATH,
    AdminStores,
    admin_endpoints,
    mount_admin_api,
)

__all__ = [
    "OPENAPI_PATH",
    "AdminStores",
    "BlocklistsChanged",
    "admin_endpoints",
    "mount_admin_api",
]
