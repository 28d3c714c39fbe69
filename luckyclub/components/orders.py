"""A table of competition orders, with an optional action per order (the tickets page's Refund)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from luckyclub.components.layout import data_table, status_badge


def orders_table(
    rows, *, action: Callable | None = None, show_competition: bool = True
) -> rx.Component:
    headers = ["Order", "Competition", "Buyer", "Tickets", "Amount", "Status", "Date"]
    if not show_competition:
        headers.remove("Competition")
    if action is not None:
        headers.append("")

    def row(o) -> rx.Component:
        cells = [
            rx.table.cell("#", o.order_id),
            rx.table.cell(o.competition) if show_competition else None,
            rx.table.cell(
                rx.vstack(
                    rx.text(o.buyer, weight="medium"),
                    rx.cond(o.email != "", rx.text(o.email, size="1")),
                    spacing="0",
                )
            ),
            rx.table.cell(
                rx.vstack(
                    rx.text(o.quantity, " × ", rx.text.span("numbers ", o.numbers)),
                    spacing="0",
                )
            ),
            rx.table.cell(o.amount, white_space="nowrap"),
            rx.table.cell(
                rx.vstack(
                    status_badge(o.status, o.status_words),
                    rx.cond(o.refund_reason != "", rx.text(o.refund_reason, size="1")),
                    spacing="1",
                )
            ),
            rx.table.cell(o.created, white_space="nowrap"),
            rx.table.cell(action(o)) if action is not None else None,
        ]
        return rx.table.row(
            *[cell for cell in cells if cell is not None],
            aria_label="Order " + o.order_id.to_string(),
        )

    return data_table(headers, rows, row)
