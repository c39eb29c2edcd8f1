"""The root of the `public_portal` package's exception tree.

Every error the portal code raises on purpose is a `PortalError`:
`PortalBuildError` (`public_portal.builder`: the inputs cannot make a portal)
and `ClassicBuildError` (`public_portal.classic`: a module the classic bundle
cannot translate). The service rebuilds its portal off the request path, so
these never answer a request; `fairdraw.http_errors` still maps the root
(500: the server's own data or code).
"""

from __future__ import annotations


class PortalError(Exception):
    """Base of every error the public_portal package raises on purpose."""
