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
    what: str = "signup",  # or "place on the waitlist"
) -> EmailContent:
    return EmailContent(
        subject=f"{member}'s {what} on {list_title} was removed",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"The organiser of {list_title} removed {member}'s {what} for {element}.",
            f"Their reason: {reason}",
        ),
        button=Button("See the list", link),
        note="If you think this is a mistake, contact the list's organiser.",
    )


register("signup_removed", signup_removed)


# ---- the lottery's result (one email per account that entered, one to the creator) -------------

LOTTERY_RESULT = "lottery_result"
LOTTERY_CREATOR = "lottery_creator"


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def lottery_result(
    *, display_name: str, list_title: str, results: str, won: str, link: str
) -> EmailContent:
    # Every family member's results, one line each: a spot won with its own accept link and
    # deadline, a waitlist place, or what did not win.
    accept = (
        "Accept each spot with its own link within 24 hours: a spot not accepted by its "
        "deadline goes to the next person on the waitlist. You can also accept or decline "
        "them on My Signups."
        if won != "0"
        else "The list now works first come, first served: any spot left is yours to sign up for."
    )
    return EmailContent(
        subject=f"The lottery for {list_title} has run",
        greeting=f"Hi {display_name},",
        paragraphs=(f"The lottery for {list_title} has completed.", *_lines(results), accept),
        button=Button("Open My Signups", link),
        note="Every random choice of the lottery can be checked: the list's page links its proof.",
    )


register(LOTTERY_RESULT, lottery_result)


def lottery_creator(*, display_name: str, list_title: str, results: str, link: str) -> EmailContent:
    # Each element's entries, spots filled and waitlist length, to follow up from the editor.
    return EmailContent(
        subject=f"Your lottery for {list_title} has completed",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"Your lottery for {list_title} has completed. For each event or item:",
            *(_lines(results) or ("(nothing to draw: the list has no events or items)",)),
            "Winners have 24 hours to accept their spots; a spot not accepted is offered to the "
            "next person on the waitlist.",
        ),
        button=Button("Open the list's editor", link),
    )


register(LOTTERY_CREATOR, lottery_creator)
