"""Business rules per resource: the only place that decides."""
