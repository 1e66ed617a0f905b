"""Pydantic API contracts, one module per resource (``<Noun>Create/Update/Public/Page``)."""
