"""The emails of signup lists, registered with the mail templates: a spot offered from the
waitlist, an offer that expired, a signup its list's organiser removed, and the lottery's results.
Each template is registered right after it is written; values come in as text, times already
written in the recipient's timezone."""

from __future__ import annotations

from luckyclub.platform.mail_templates import Button, EmailContent, register


def spot_offered(
    *,
    display_name: str,
    list_title: str,
    element: str,
    member: str,
    deadline: str,
    link: str,
) -> EmailContent:
    return EmailContent(
        subject=f"A spot for {member}: {element} on {list_title}",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"A spot on {element} in {list_title} became free, and {member} was next on its "
            f"waitlist, so it is offered to {member} now.",
            f"Accept it by {deadline}. If you do not, it goes to the next person on the "
            "waitlist; if you no longer want it, decline it so they hear sooner.",
        ),
        button=Button("Accept or decline the spot", link),
    )


register("spot_offered", spot_offered)


def offer_expired(
    *, display_name: str, list_title: str, element: str, member: str, link: str
) -> EmailContent:
    return EmailContent(
        subject=f"The spot offered to {member} on {list_title} has gone",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"The spot on {element} in {list_title} offered to {member} was not accepted within "
            "24 hours, so it has gone to the next person.",
            "You can still sign up for whatever has free spots on the list.",
        ),
        button=Button("See the list", link),
    )


register("offer_expired", offer_expired)


def signup_removed(
    *,
    display_name: str,
    list_title: str,
    element: str,
    member: str,
    reason: str,
    link: str,
) -> EmailContent:
    return EmailContent(
        subject=f"{member}'s signup on {list_title} was removed",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"The organiser of {list_title} removed {member}'s signup for {element}.",
            f"Their reason: {reason}",
        ),
        button=Button("See the list", link),
        note="If you think this is a mistake, contact the list's organiser.",
    )


register("signup_removed", signup_removed)
