# mypy: disable-error-code="valid-type,dict-item,attr-defined"
# (The route signatures use the models passed in as types, which mypy cannot follow; Powertools
# reads them at run time, and the OpenAPI contract tests check what it made of them.)
"""The routes of one content resource (API.md §4), registered on its function's resolver.

Sessions, speakers, tracks, venues and categories have the same six routes: list and create on
``/v1/agendas/{agenda_id}/<plural>``, read, replace, merge-patch and delete on
``.../<plural>/{<singular>_id}``. They differ only in their models, so each function calls
``add_content_routes`` once instead of spelling out six near-identical routes (STYLE.md §1 puts
routes in ``functions/<resource>/app.py``; this is the one deviation, written down in README's
design notes). A function may register its own list route instead (sessions: filters). It lives
in ``routes``, above ``http`` and ``services`` (pyproject's import-linter layers), because it
wires the edge to the engine exactly as a function's own routes do.

No ``from __future__ import annotations`` here on purpose: Powertools reads each route's
parameter and body types from its signature, and these are the models passed in, not names.
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import (
    ETAG_HEADER,
    AgendaId,
    AgendaIdOrSlug,
    Cursor,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    PageSize,
)
from agenda_core.http.request import base_url, page_url_builder
from agenda_core.http.responses import documented, json_response, no_content, not_modified
from agenda_core.schemas.common import PublicModel, prefixed_id_pattern
from agenda_core.services import content, content_reads
from agenda_core.services.agenda_partition import Representation
from agenda_core.services.content_kinds import ContentKind
from agenda_core.services.content_reads import NotModified


def item_id_param(kind: ContentKind) -> Any:
    """The item id in the path, e.g. ``session_id`` matching ``ses_<ULID>`` (else 404)."""
    prefix = kind.names.prefix
    return Annotated[
        str,
        Path(pattern=prefixed_id_pattern(prefix), description=f"A {kind.name} id (`{prefix}_…`)."),
    ]


def _renamed(handler: Callable[..., Response[Any]], name: str) -> Callable[..., Response[Any]]:
    """``handler`` takes ``item_id``; the route's path names it ``name`` (``session_id``), which is
    what OpenAPI shows and what Powertools passes. Signature rewritten, call forwarded."""
    signature = inspect.signature(handler)
    parameters = [p.replace(name=name) if p.name == "item_id" else p for p in signature.parameters.values()]

    def route(**kwargs: Any) -> Response[Any]:
        kwargs["item_id"] = kwargs.pop(name)
        return handler(**kwargs)

    route.__signature__ = signature.replace(parameters=parameters)
    route.__name__ = handler.__name__
    route.__doc__ = handler.__doc__
    return route


def read_response(found: Representation[PublicModel] | NotModified) -> Response[Any]:
    """A GET's answer: 304 (empty body) when the client holds the current ETag, else 200."""
    if isinstance(found, NotModified):
        return not_modified(found.etag, public=found.public)
    return json_response(found.body, etag=found.etag, public=found.public)


# A GET's documented answers beside its 200.
NOT_MODIFIED: dict[int | str, Any] = {304: {"description": "Not modified."}}


def add_content_routes(app: APIGatewayRestResolver, kind: ContentKind, *, list_route: bool = True) -> None:
    """Registers the resource's routes on ``app`` (the list route only if ``list_route``), with
    the models, path and id format its declaration gives (services/content_kinds.py)."""
    models = kind.models
    id_name = kind.names.id_param
    collection = f"/v1/agendas/<agenda_id>/{kind.plural}"
    item = f"{collection}/<{id_name}>"
    ItemId = item_id_param(kind)
    singular, plural = kind.name, kind.plural
    create_model, replace_model, update_model = models.create, models.replace, models.update

    if list_route:

        def handle_list(
            agenda_id: AgendaIdOrSlug,
            per_page: PageSize = 20,
            cursor: Cursor = None,
            if_none_match: IfNoneMatch = None,
        ) -> Response[Any]:
            listed = content_reads.list_items(
                current_caller(),
                agenda_id,
                content_reads.ListQuery(kind, per_page, cursor),
                base_url=base_url(app),
                page_url=page_url_builder(app),
                if_none_match=if_none_match,
            )
            return read_response(listed)

        handle_list.__name__ = f"handle_list_{plural}"
        app.get(
            collection,
            summary=f"List the agenda's {plural}",
            responses={200: documented(models.page, f"A page of {plural}.", ETAG_HEADER), **NOT_MODIFIED},
        )(handle_list)

    def handle_create(
        agenda_id: AgendaId, body: create_model, idempotency_key: IdempotencyKey = None
    ) -> Response[Any]:
        caller = current_caller()
        assert caller.user_id is not None

        def create() -> Response[Any]:
            created = content.create_item(kind, caller, agenda_id, body, base_url(app))
            return json_response(created.body, 201, etag=created.etag, location=created.body.url)

        # Scoped to this agenda's collection: the same key on another agenda is another request.
        route_key = f"POST /v1/agendas/{agenda_id}/{plural}"
        return idempotent_create(app, caller_id=caller.user_id, route_key=route_key, create=create)

    handle_create.__name__ = f"handle_create_{singular}"
    app.post(
        collection,
        summary=f"Create a {singular} (owners and editors)",
        responses={201: documented(models.public, f"The new {singular}.", ETAG_HEADER)},
    )(handle_create)

    def handle_get(
        agenda_id: AgendaIdOrSlug, item_id: ItemId, if_none_match: IfNoneMatch = None
    ) -> Response[Any]:
        found = content_reads.get_item(
            kind, current_caller(), agenda_id, item_id, base_url(app), if_none_match=if_none_match
        )
        return read_response(found)

    handle_get.__name__ = f"handle_get_{singular}"
    app.get(
        item,
        summary=f"A {singular}",
        responses={200: documented(models.public, f"The {singular}.", ETAG_HEADER), **NOT_MODIFIED},
    )(_renamed(handle_get, id_name))

    def handle_replace(
        agenda_id: AgendaId, item_id: ItemId, body: replace_model, if_match: IfMatch = None
    ) -> Response[Any]:
        updated = content.replace_item(
            kind, current_caller(), agenda_id, item_id, body, if_match, base_url(app)
        )
        return json_response(updated.body, etag=updated.etag)

    handle_replace.__name__ = f"handle_replace_{singular}"
    app.put(
        item,
        summary=f"Replace a {singular}'s writable fields",
        responses={200: documented(models.public, f"The {singular}.", ETAG_HEADER)},
    )(_renamed(handle_replace, id_name))

    def handle_update(
        agenda_id: AgendaId, item_id: ItemId, body: update_model, if_match: IfMatch = None
    ) -> Response[Any]:
        updated = content.update_item(
            kind, current_caller(), agenda_id, item_id, body, if_match, base_url(app)
        )
        return json_response(updated.body, etag=updated.etag)

    handle_update.__name__ = f"handle_update_{singular}"
    app.patch(
        item,
        summary=f"Change some fields of a {singular} (JSON merge patch)",
        responses={200: documented(models.public, f"The {singular}.", ETAG_HEADER)},
    )(_renamed(handle_update, id_name))

    def handle_delete(agenda_id: AgendaId, item_id: ItemId, if_match: IfMatch = None) -> Response[Any]:
        content.delete_item(kind, current_caller(), agenda_id, item_id, if_match)
        return no_content()

    handle_delete.__name__ = f"handle_delete_{singular}"
    app.delete(
        item,
        summary=f"Delete a {singular}",
        responses={204: {"description": "Deleted."}},
    )(_renamed(handle_delete, id_name))
