"""What the admin's competition pages share: the competition form's values as text, the form's
fields for the service, and the Activate, Extend and Cancel changes.

Dates are typed in the admin's timezone; the service stores UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from luckyclub.competitions import catalogue
from luckyclub.models import Competition, id_of
from luckyclub.state.admin import parse_local_time, record_id

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> reads and writes
# form field → the service's field name; dates and the answer are handled on their own
TEXT_FIELDS = {
    "title": "title",
    "prize": "prize",
    "description": "description",
    "ticket_price": "ticket_price_pence",
    "max_tickets": "max_tickets",
    "per_person_limit": "per_person_limit",
    "min_tickets": "min_tickets",
    "winners": "winners",
    "question": "question",
    "choices": "choices",
}
DATE_FIELDS = {"starts_at": "starts_local", "ends_at": "ends_local", "draw_at": "draw_local"}


@dataclass
class CompetitionForm:
    """What the form shows: the competition's values as text (empty for a new one)."""

    id: int = 0
    title: str = ""
    prize: str = ""
    description: str = ""
    ticket_price: str = ""
    max_tickets: str = ""
    per_person_limit: str = ""
    min_tickets: str = "0"
    winners: str = "1"
    distinct_winners: bool = False
    starts_local: str = ""
    ends_local: str = ""
    draw_local: str = ""
    question: str = ""
    choices: str = ""  # one per line
    locked: bool = False  # tickets are sold: price, start, question and answers are frozen


def local_input(moment, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime(LOCAL_FORMAT) if moment else ""


def form_of(competition: Competition, timezone: str) -> CompetitionForm:
    return CompetitionForm(
        id=id_of(competition),
        title=competition.title,
        prize=competition.prize,
        description=competition.description,
        ticket_price=f"{competition.ticket_price_pence / 100:.2f}",
        max_tickets=str(competition.max_tickets),
        per_person_limit=str(competition.per_person_limit),
        min_tickets=str(competition.min_tickets),
        winners=str(competition.winners),
        distinct_winners=competition.distinct_winners,
        starts_local=local_input(competition.starts_at, timezone),
        ends_local=local_input(competition.ends_at, timezone),
        draw_local=local_input(competition.draw_at, timezone),
        question=competition.question,
        choices="\n".join(catalogue.choices_of(competition)),
        locked=competition.sold + competition.held > 0,
    )


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in str(text or "").splitlines() if line.strip()]


def _checked(value) -> bool:
    return value in (True, "on", "true", "True", "1")


def competition_fields(form_data: dict, timezone: str, before: CompetitionForm | None = None):
    """The service's fields from the submitted form. Editing (`before` given), only what the admin
    changed is sent: a value shown rounded (a start time's seconds, a price's pence) and sent back
    untouched must not count as a change the service refuses once tickets are sold."""
    fields: dict = {}
    for name, service_name in TEXT_FIELDS.items():
        if name not in form_data:
            continue
        value = str(form_data.get(name) or "")
        if before is not None:
            shown = getattr(before, name)
            same = _lines(value) == _lines(shown) if name == "choices" else value.strip() == shown
            if same:
                continue
        elif name == "per_person_limit" and not value.strip():
            continue  # a new competition's default: no limit below its number of tickets
        fields[service_name] = value
    answer = str(form_data.get("answer") or "").strip()
    if answer or before is None:
        fields["answer"] = answer
    distinct = _checked(form_data.get("distinct_winners"))
    if before is None or distinct != before.distinct_winners:
        fields["distinct_winners"] = distinct
    for name, shown_as in DATE_FIELDS.items():
        value = str(form_data.get(name) or "").strip()
        if not value or (before is not None and value == getattr(before, shown_as)):
            continue
        fields[name] = parse_local_time(value, timezone) or value
    return fields


ACTIVATED = "Activated: the competition is public and on sale from its start date."
EXTENDED = "Extended: tickets are on sale again until the new end date."
CANCELLED = "Cancelled: every paid order is being refunded and the buyers are told."


def activate_it(competition_id):
    return lambda s, admin: catalogue.activate(s, admin, record_id(competition_id))


def extend_it(competition_id, form_data: dict):
    """The Extend dialog's change: new dates typed in the admin's timezone."""

    def change(s, admin):
        ends = str(form_data.get("new_ends_at") or "").strip()
        draw_at = str(form_data.get("new_draw_at") or "").strip()
        catalogue.extend(
            s,
            admin,
            record_id(competition_id),
            ends_at=parse_local_time(ends, admin.timezone),
            draw_at=parse_local_time(draw_at, admin.timezone) if draw_at else None,
        )

    return change


def cancel_it(competition_id, form_data: dict):
    return lambda s, admin: catalogue.cancel(
        s, admin, record_id(competition_id), form_data.get("reason", "")
    )
