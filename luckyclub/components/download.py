"""The one link for a file the server makes (a CSV, a proof, a snapshot).

`rx.link` to a path is routed inside the app, so `/api/…` showed the app's "not found" page; a file
needs a real request. The `download` attribute saves it under the name the server gives.
"""

from __future__ import annotations

import reflex as rx


def download_link(label, href, **props) -> rx.Component:
    """A link that downloads `href` (a path under /api/) instead of changing page."""
    return rx.link(rx.el.a(label, href=href, download=True), as_child=True, **props)
