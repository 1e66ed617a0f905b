"""Categories of sessions, each with an optional colour (API.md §4): list, create, read, replace, merge-patch, delete."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from agenda_core.http.resolver import make_handler
from agenda_core.routes.content import add_content_routes
from agenda_core.routes.wiring import create_app
from agenda_core.services.content_kinds import CATEGORIES

app = create_app()
add_content_routes(app, CATEGORIES)

lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
