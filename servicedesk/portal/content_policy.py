"""Widening the Content-Security-Policy for the one page that needs it.

Every response gets the application's strict policy (``app.security_headers``,
which sets it only when a view has not).  A knowledge-base article may show
images and embedded videos from the hosts of the media policy
(``kb_markdown.csp_sources``), so its page, and only its page, asks for
those sources with ``allow_sources``; ``_widen`` then adds them to whatever
policy the application gave the response.  Reading the application's policy
rather than repeating it here means a later tightening of it reaches the
article pages too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Response, g
from flask.blueprints import BlueprintSetupState

from servicedesk.portal import portal

HEADER = "Content-Security-Policy"


def parse(policy: str) -> dict[str, list[str]]:
    """``"default-src 'self'; img-src 'self' data:"`` as directives and
    their sources, in order."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    return directives


def widen(policy: str, sources: Mapping[str, Sequence[str]]) -> str:
    """``policy`` with ``sources`` also allowed.  A directive the policy
    does not name starts from its ``default-src`` (what the browser used
    for it until now), so adding sources never takes any away."""
    directives = parse(policy)
    fallback = directives.get("default-src", [])
    for name, extra in sources.items():
        current = list(directives.get(name, fallback))
        if "'none'" in current and extra:
            current = []
        current.extend(source for source in extra if source not in current)
        directives[name] = current or ["'none'"]
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


def allow_sources(sources: Mapping[str, Sequence[str]]) -> None:
    """This response may also load from ``sources`` (``csp_sources``)."""
    g.portal_csp_sources = {name: list(values) for name, values in sources.items()}


def _widen(response: Response) -> Response:
    sources = g.get("portal_csp_sources")
    policy = response.headers.get(HEADER)
    if sources and policy:
        response.headers[HEADER] = widen(policy, sources)
    return response


@portal.record_once
def _install(state: BlueprintSetupState) -> None:
    # after_request functions run last-registered first: at the front of
    # the list, this one runs after the application's security_headers
    # has set the strict policy it widens.
    state.app.after_request_funcs.setdefault(None, []).insert(0, _widen)
