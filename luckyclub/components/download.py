"""The one link for a file the server makes (a CSV, a proof, a snapshot).

Every link Reflex renders (`rx.link`, even `rx.el.a`) is a React Router link, which routes a path
inside the app: `/api/…` showed the app's "not found" page. `reload_document` hands the click to
the browser, and `download` makes it save the file under the name the server gives.
"""

from __future__ import annotations

import reflex as rx


def download_link(label, href, **props) -> rx.Component:
    """A link that downloads `href` (a path under /api/) instead of changing page."""
    return rx.link(label, href=href, reload_document=True, download=True, **props)
