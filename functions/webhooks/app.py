"""Webhook subscriptions of an agenda (API.md §7): owners and editors manage where its changes go."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/members/app.py).
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import AgendaId, Cursor, DeliveryId, IdempotencyKey, PageSize, WebhookId
from agenda_core.http.request import base_url, page_url_builder
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented, json_response, no_content
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.webhooks import (
    DeliveryAccepted,
    WebhookCreate,
    WebhookDeliveryPage,
    WebhookPage,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)
from agenda_core.services import webhook_deliveries, webhooks
from agenda_core.services.links import webhook_url

app = create_app()


@app.get(
    "/v1/agendas/<agenda_id>/webhooks",
    summary="The agenda's webhook subscriptions (owners and editors)",
    responses={200: documented(WebhookPage, "A page of subscriptions, oldest first.")},
)
def handle_list_webhooks(
    agenda_id: AgendaId, per_page: PageSize = 20, cursor: Cursor = None
) -> Response[Any]:
    page = webhooks.list_webhooks(
        current_caller(), agenda_id, per_page=per_page, cursor=cursor, page_url=page_url_builder(app)
    )
    return json_response(page)


@app.post(
    "/v1/agendas/<agenda_id>/webhooks",
    summary="Subscribe an endpoint to the agenda's events (at most 10 per agenda)",
    responses={201: documented(WebhookWithSecret, "The subscription, with its secret: shown only here.")},
)
def handle_create_webhook(
    agenda_id: AgendaId, body: WebhookCreate, idempotency_key: IdempotencyKey = None
) -> Response[Any]:
    caller = current_caller()
    assert caller.user_id is not None

    def create() -> Response[Any]:
        created = webhooks.create_webhook(caller, agenda_id, body)
        return json_response(created, 201, location=webhook_url(base_url(app), agenda_id, created.id))

    route_key = f"POST /v1/agendas/{agenda_id}/webhooks"
    return idempotent_create(app, caller_id=caller.user_id, route_key=route_key, create=create)


@app.get(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>",
    summary="One webhook subscription",
    responses={200: documented(WebhookPublic, "The subscription (never its secret).")},
)
def handle_read_webhook(agenda_id: AgendaId, webhook_id: WebhookId) -> Response[Any]:
    return json_response(webhooks.read_webhook(current_caller(), agenda_id, webhook_id))


@app.patch(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>",
    summary="Change a subscription (merge patch; `active` pauses or resumes it)",
    responses={200: documented(WebhookPublic, "The subscription.")},
)
def handle_update_webhook(agenda_id: AgendaId, webhook_id: WebhookId, body: WebhookUpdate) -> Response[Any]:
    return json_response(webhooks.update_webhook(current_caller(), agenda_id, webhook_id, body))


@app.delete(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>",
    summary="Delete a subscription",
    responses={204: {"description": "Deleted."}},
)
def handle_delete_webhook(agenda_id: AgendaId, webhook_id: WebhookId) -> Response[Any]:
    webhooks.delete_webhook(current_caller(), agenda_id, webhook_id)
    return no_content()


@app.post(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>/rotate-secret",
    summary="A new signing secret; the previous one still signs for 24 hours",
    responses={200: documented(WebhookWithSecret, "The subscription, with its new secret: shown only here.")},
)
def handle_rotate_secret(agenda_id: AgendaId, webhook_id: WebhookId) -> Response[Any]:
    return json_response(webhooks.rotate_secret(current_caller(), agenda_id, webhook_id))


@app.get(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>/deliveries",
    summary="The delivery log: each event sent to this endpoint and its attempts, newest first",
    responses={200: documented(WebhookDeliveryPage, "A page of deliveries (kept 30 days).")},
)
def handle_list_deliveries(
    agenda_id: AgendaId, webhook_id: WebhookId, per_page: PageSize = 20, cursor: Cursor = None
) -> Response[Any]:
    page = webhook_deliveries.list_deliveries(
        current_caller(),
        agenda_id,
        webhook_id,
        per_page=per_page,
        cursor=cursor,
        page_url=page_url_builder(app),
    )
    return json_response(page)


@app.post(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    summary="Send a logged delivery again, with the same `webhook-id` (one attempt)",
    responses={202: documented(DeliveryAccepted, "Queued; its attempt appears in the delivery log.")},
)
def handle_redeliver(agenda_id: AgendaId, webhook_id: WebhookId, delivery_id: DeliveryId) -> Response[Any]:
    accepted = webhook_deliveries.redeliver(current_caller(), agenda_id, webhook_id, delivery_id)
    return json_response(accepted, 202)


@app.post(
    "/v1/agendas/<agenda_id>/webhooks/<webhook_id>/ping",
    summary="Send a `webhook.ping` event to this endpoint, whatever its `events` filter",
    responses={202: documented(DeliveryAccepted, "Queued; its attempts appear in the delivery log.")},
)
def handle_ping(agenda_id: AgendaId, webhook_id: WebhookId) -> Response[Any]:
    return json_response(webhook_deliveries.ping(current_caller(), agenda_id, webhook_id), 202)


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13
gc.enable()
