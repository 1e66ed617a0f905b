"""Match a request to a route the way API Gateway (REST) selects a resource, then a method."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from local.template import Route

_LITERAL, _PARAMETER, _GREEDY = 0, 1, 2  # lower wins: /a/b beats /a/{x} beats /a/{proxy+}


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def _kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _PARAMETER
    return _LITERAL


def _bind(template: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """(specificity, parameters) if the resource template `template` matches `path`."""
    pattern, actual = _segments(template), _segments(path)
    if path != "/" and path.endswith("/"):
        return None  # an empty trailing segment matches no resource
    params: dict[str, str] = {}
    rank: list[int] = []
    for index, segment in enumerate(pattern):
        kind = _kind(segment)
        rank.append(kind)
        if kind == _GREEDY:
            rest = actual[index:]
            if index != len(pattern) - 1 or not rest:
                return None  # {proxy+} is last and takes at least one segment
            params[segment[1:-2]] = "/".join(rest)
            return tuple(rank), params
        if index >= len(actual) or not actual[index]:
            return None
        if kind == _PARAMETER:
            params[segment[1:-1]] = actual[index]
        elif segment != actual[index]:
            return None
    if len(actual) != len(pattern):
        return None
    return tuple(rank), params


class RouteTable:
    """The API's routes; `match` picks the most specific resource, then its method (or ANY)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)

    def match(self, method: str, path: str) -> Match | None:
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for template in dict.fromkeys(route.path for route in self.routes):
            bound = _bind(template, path)
            if bound and (best is None or bound[0] < best[0]):
                best = (bound[0], template, bound[1])
        if best is None:
            return None
        _, template, params = best
        candidates = [route for route in self.routes if route.path == template]
        # API Gateway chooses the resource first: a resource without this method (and no ANY)
        # answers "Missing Authentication Token" even if a less specific resource has it.
        for wanted in (method.upper(), "ANY"):
            for route in candidates:
                if route.method == wanted:
                    return Match(route, params)
        return None
