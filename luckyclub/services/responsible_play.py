"""Placeholder until the responsible-play branch lands."""


def check_purchase(session, user, amount_pence, now=None) -> None:
    return None
