"""The communities the landing page lists, with a link to each one's public page."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.community import communities
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class CommunityLink:
    name: str = ""
    url: str = ""
    is_live: bool = False


class CommunityListState(SessionState):
    communities: rx.Field[list[CommunityLink]] = rx.field(default_factory=list)

    @event
    def load(self):
        with session_scope() as s:
            self.communities = [
                CommunityLink(
                    name=program.name, url=routes.community_page(program.slug), is_live=c.is_live
                )
                for c, program in communities.all_communities(s)
            ]
