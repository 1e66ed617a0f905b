"""The functions' composition root: the edge (``http``) gets what it needs from the services here,
so that ``http`` never imports a service (the layer contract in pyproject.toml holds without an
exception). Every ``functions/<resource>/app.py`` makes its app with ``create_app`` from here."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from agenda_core.http import resolver
from agenda_core.http.auth import accept_api_tokens
from agenda_core.routes import snapstart
from agenda_core.schemas.auth import Caller


def _api_token_caller(token: str) -> Caller:
    # Imported at the first API token, so that JWT and anonymous requests never load it.
    from agenda_core.services.api_tokens import authenticate

    return authenticate(token)


def create_app() -> APIGatewayRestResolver:
    """``http.resolver.create_app``, with API tokens accepted through the token service and the
    app primed before a SnapStart snapshot (routes/snapstart.py: the hook runs after the module
    has registered its routes)."""
    accept_api_tokens(_api_token_caller)
    app = resolver.create_app()
    snapstart.register(app)
    return app
