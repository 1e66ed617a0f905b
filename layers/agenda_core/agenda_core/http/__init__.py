"""The edge: resolver factory, problem+json mapping, auth, ETag, idempotency glue."""
