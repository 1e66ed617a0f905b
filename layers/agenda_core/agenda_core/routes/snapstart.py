"""SnapStart priming (template parameter ``SnapStart``, docs/design.md "Cold starts").

With SnapStart, Lambda runs a version's init once, snapshots the memory, and starts every cold
container from that snapshot. Whatever runs before the snapshot is free for every cold start, so
the hook does the work a first request would otherwise pay for: it imports the modules the
routes import lazily (every service), builds Powertools' validation of every route (its
"dependant" models, built on a route's first call), and creates the AWS clients. It sends no
request: nothing that a snapshot must not share (connections, credentials of the moment,
randomness) is made before it; botocore connects and signs after restore as usual.

Outside SnapStart the runtime has no ``snapshot_restore_py`` and ``register`` does nothing; the
bench calls ``warm_up`` itself to measure what a restored container still pays.
"""

from __future__ import annotations

import importlib
import pkgutil

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

_CLIENTS = ("dynamodb", "s3", "secretsmanager")


def register(app: APIGatewayRestResolver) -> None:
    """Primes ``app`` before SnapStart's snapshot, when running under SnapStart."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return
    register_before_snapshot(lambda: warm_up(app))


def warm_up(app: APIGatewayRestResolver) -> None:
    from agenda_core import services
    from agenda_core.integrations.aws import client

    for module in pkgutil.iter_modules(services.__path__):
        importlib.import_module(f"{services.__name__}.{module.name}")
    # Powertools keeps its routes in these two lists (since v2); each builds its models on demand.
    for route in [*app._static_routes, *app._dynamic_routes]:
        _ = route.dependant, route.body_field
    for name in _CLIENTS:
        client(name)
    from agenda_core.db.base import TableItem

    _ = TableItem._get_connection().connection.client  # pynamodb's own botocore client
