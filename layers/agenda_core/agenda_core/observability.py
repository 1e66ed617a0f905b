"""Logger, metrics and (optionally) tracer (a leaf: imports nothing from agenda_core).

Powertools' Logger and Metrics are cheap to import; the X-Ray SDK behind ``Tracer`` costs
100-150 ms of cold start (STYLE.md 5.8), so it is created only when ENABLE_XRAY_SDK=true;
``Tracing: Active`` in the template gives the Lambda segments without it.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "agenda-api"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AgendaApi"))


@cache
def tracer() -> Any | None:
    if os.environ.get("ENABLE_XRAY_SDK", "false").lower() != "true":
        return None
    from aws_lambda_powertools import Tracer  # heavy: only when asked for

    return Tracer()
