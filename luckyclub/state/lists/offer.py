"""/offers/<token>: the link in an offer's email. Opening it changes nothing (a mail scanner that
follows links must not accept for anyone); the member signs in if needed, sees the spot and its
deadline in their own zone, and presses Accept or Decline. The token must be one of the signed-in
account's own pending offers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import UserError
from luckyclub.lotteries import signups
from luckyclub.models import User
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

GONE = (
    "This offer is not open any more: it was answered, it expired, or it is for another "
    "account. My signups shows what your family holds."
)


@dataclass
class OfferCard:
    list_title: str = ""
    list_url: str = ""
    element: str = ""
    member: str = ""
    deadline: str = ""  # in the viewer's zone


class OfferState(SessionState):
    loaded: bool = False
    offer: OfferCard = OfferCard()
    found: bool = False  # an open offer to the signed-in account
    answered: str = ""  # "accepted" or "declined", once this tab answered
    error: str = ""
    sign_in_url: str = ""

    def _token(self) -> str:
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1][:64]

    def _fill(self, s: Session, user: User) -> None:
        found = signups.offer_view(s, self._token(), user)
        self.found = found is not None and found.is_yours and not found.expired
        self.offer = (
            OfferCard(
                list_title=found.list_title,
                list_url=found.path,
                element=found.element,
                member=found.member_name,
                deadline=found.deadline,
            )
            if found is not None and self.found
            else OfferCard()
        )
        if found is not None and found.is_yours and found.expired:
            self.error = (
                f"This offer expired on {found.deadline}: the spot goes to the next person."
            )

    @event
    def load(self):
        self.error, self.answered, self.found = "", "", False
        self.sign_in_url = f"{routes.LOGIN}?next={routes.offer_page(self._token())}"
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)
        self.loaded = True

    def _answer(self, work: Callable[[Session, User, str], object], answered: str) -> None:
        self.error = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                work(s, user, self._token())
                s.flush()
        except UserError as exc:
            self.error = exc.message
            return
        self.answered = answered

    @event
    def accept(self):
        self._answer(signups.accept, "accepted")

    @event
    def decline(self):
        self._answer(signups.decline, "declined")
