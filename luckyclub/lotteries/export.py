"""A list's signups as CSV for its creator and editors: per element, in the list's order, every
signup, then its waitlist in order, then its lottery entries. Names only — no email addresses:
the list's organisers reach people through the list (removing a signup emails the person)."""

from __future__ import annotations

import io

from sqlmodel import Session

from luckyclub.core import safe_csv
from luckyclub.lotteries import lists, views
from luckyclub.models import User

COLUMNS = (
    "element",
    "date",
    "time",
    "place",
    "spots",
    "family_member",
    "account",
    "status",  # confirmed | pending | waitlist | lottery entry
    "source",  # direct | lottery | waitlist (signups)
    "waitlist_position",
    "offer_deadline",
)


def signups_csv(session: Session, user: User | None, list_id: int) -> str:
    """The CSV text; only the list's creator, its editors and admins may have it."""
    lists.require_editor(session, user, list_id)
    view = views.list_view(session, list_id, None)
    out = io.StringIO()
    writer = safe_csv.writer(out)
    writer.writerow(COLUMNS)
    for element in view.elements:
        where = (element.label, element.date_words, element.time_words, element.place)
        for signup in element.signups:
            writer.writerow(
                (
                    *where,
                    element.spots,
                    signup.member_name,
                    signup.account_name,
                    signup.status,
                    signup.source,
                    "",
                    signup.deadline,
                )
            )
        for place in element.waitlist:
            writer.writerow(
                (
                    *where,
                    element.spots,
                    place.member_name,
                    place.account_name,
                    "waitlist",
                    "",
                    place.position,
                    "",
                )
            )
        for entry in element.entries:
            writer.writerow(
                (
                    *where,
                    element.spots,
                    entry.member_name,
                    entry.account_name,
                    "lottery entry",
                    "",
                    "",
                    "",
                )
            )
    return out.getvalue()
