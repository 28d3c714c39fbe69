"""Communities (streamers' monthly raffles), for platform admins: create one, edit its Kick channel,
affiliate source, rates, prize, automatic draw and Discord (server, moderators' role, the channel
webhook announcements go to), and grant or revoke its moderators. The services check the admin
(community/communities.py, platform/roles.py); every change is audited.

The webhook URL is a secret: the browser sends it once, to the handler, and never gets it back (the
page shows "set (…last 4)")."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx

from luckyclub.community import announcements, communities, failed_events
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, label
from luckyclub.components.layout import field as input_field
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.models import Community, id_of
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class ModeratorRow:
    grant_id: int = 0
    member: str = ""


@dataclass
class CommunityRow:
    id: int = 0
    name: str = ""
    kick: str = ""  # the broadcaster id, as text
    rates: str = ""
    auto_draw: bool = False
    page_url: str = ""
    console_url: str = ""
    moderators: list[ModeratorRow] = field(default_factory=list)


TEXT_FIELDS = (
    "name",
    "slug",
    "kick_broadcaster_id",
    "affiliate_source",
    "prize",
    "discord_guild_id",
    "discord_moderator_role",
)
RATE_FIELDS = (
    "chat_minutes",
    "chat_tickets",
    "gift_tickets",
    "wager_unit",
    "wager_tickets",
    "discord_announce_threshold",
)


def form_from(form_data: dict) -> communities.CommunityForm:
    """The form as the service's input; the service checks every value, in sentences."""
    values = {name: str(form_data.get(name) or "").strip()[:200] for name in TEXT_FIELDS}
    rates = {name: str(form_data.get(name) or "").strip()[:12] for name in RATE_FIELDS}
    return communities.CommunityForm(**values, **rates, auto_draw=bool(form_data.get("auto_draw")))


def rates_words(c: Community) -> str:
    words = [
        f"{c.chat_minutes} chat minutes = {c.chat_tickets} tickets",
        f"gifted sub = {c.gift_tickets}",
    ]
    if c.affiliate_source:
        words.append(f"${c.wager_unit:,} wagered = {c.wager_tickets} ({c.affiliate_source})")
    if c.discord_webhook_url:
        words.append(f"announced on Discord from {c.discord_announce_threshold:,} tickets")
    return "; ".join(words)


class CommunitiesAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: rx.Field[list[CommunityRow]] = rx.field(default_factory=list)
    # The form: the community it edits (0: a new one) and what its inputs start with.
    editing: rx.Field[int] = rx.field(0)
    editing_name: str = ""
    name: str = ""
    slug: str = ""
    kick_broadcaster_id: str = ""
    affiliate_source: str = ""
    prize: str = ""
    discord_guild_id: str = ""
    discord_moderator_role: str = ""
    chat_minutes: str = "60"
    chat_tickets: str = "10"
    gift_tickets: str = "15"
    wager_unit: str = "1000"
    wager_tickets: str = "20"
    discord_announce_threshold: str = "20"
    auto_draw: bool = False
    # The edited community's Discord webhook as words ("set (…x9Qz)", "not set"), never the URL.
    webhook: str = ""
    # Why the webhook URL just pasted was refused, shown beside its field (not atop the page).
    webhook_error: str = ""
    # Keys the form, so its inputs start again from these values.
    form_key: rx.Field[int] = rx.field(0)
    # Kick events the inbox gave up on: said here, acted on at Admin → Kick events.
    failed_kick_events: int = 0

    def _fill(self, s) -> None:
        self.failed_kick_events = failed_events.count_failed(s, self._require_admin(s))
        self.rows = [
            CommunityRow(
                id=id_of(c),
                name=program.name,
                kick=str(c.kick_broadcaster_id or "—"),
                rates=rates_words(c),
                auto_draw=c.auto_draw,
                page_url=routes.community_page(program.slug),
                console_url=routes.community_moderate(program.slug),
                moderators=[
                    ModeratorRow(
                        grant_id=id_of(grant), member=f"{user.display_name} ({user.email})"
                    )
                    for grant, user in communities.moderators(s, c)
                ],
            )
            for c, program in communities.all_communities(s)
        ]

    def _show_form(self, community_id: int, form: communities.CommunityForm) -> None:
        self.editing, self.editing_name = community_id, form.name if community_id else ""
        for name in TEXT_FIELDS + RATE_FIELDS:
            value = getattr(form, name)
            setattr(self, name, "" if value is None else str(value))
        self.auto_draw = form.auto_draw
        self.webhook = self.webhook_error = ""
        self.form_key += 1

    @event
    def load(self):
        self._admin_load()

    @event
    def edit(self, community_id: int):
        """Fill the form with a community's settings (nothing changes until Save)."""

        def fill(s, admin):
            community = communities.get(s, record_id(community_id))
            self._show_form(id_of(community), communities.form_of(s, community))
            self.webhook = communities.webhook_words(community)

        self._admin_act(fill, "")

    @event
    def new(self):
        self._show_form(0, communities.CommunityForm(name="", slug=""))

    @event
    def save(self, form_data: dict):
        editing, form = self.editing, form_from(form_data)
        if editing:
            done = self._admin_act(
                lambda s, admin: communities.update(s, admin, editing, form), f"Saved {form.name}."
            )
        else:
            done = self._admin_act(
                lambda s, admin: communities.create(s, admin, form),
                f"Created {form.name}: its page is {routes.community_page(form.slug)}.",
            )
        if done:
            self._show_form(0, communities.CommunityForm(name="", slug=""))

    def _on_discord(self, change, done: str) -> None:
        """Change the edited community's webhook (the service checks the admin), then show
        where it stands."""
        editing = self.editing
        self.webhook_error = ""

        def act(s, admin):
            community = change(s, admin, record_id(editing))
            self.webhook = communities.webhook_words(community)

        self._admin_act(act, done)

    @event
    def save_webhook(self, form_data: dict):
        """Set or replace the webhook: the URL goes to the service and is not kept in the state."""
        url = str(form_data.get("discord_webhook_url") or "").strip()[:600]
        refused = ""

        def save(s, admin, community_id):
            nonlocal refused
            try:
                return communities.set_discord_webhook(s, admin, community_id, url)
            except UserError as exc:
                if exc.field != "discord_webhook_url":
                    raise  # not an admin, the community gone: atop the page, as elsewhere
                refused = exc.message  # the URL is wrong: said beside its field
                return communities.get(s, community_id)

        self._on_discord(save, "Saved the Discord webhook: announcements go to its channel.")
        if refused:
            self.webhook_error, self.notice = refused, ""

    @event
    def remove_webhook(self):
        self._on_discord(
            communities.remove_discord_webhook,
            "Removed the Discord webhook: nothing more is announced.",
        )

    @event
    def send_test(self):
        def test(s, admin, community_id):
            announcements.send_test(s, admin, community_id)
            return communities.get(s, community_id)

        self._on_discord(
            test, "A test message is queued: it reaches the channel within a minute (Outbox)."
        )

    @event
    def grant(self, form_data: dict):
        email = str(form_data.get("moderator_email") or "").strip()[:254]
        community_id = form_data.get("community_id")
        self._admin_act(
            lambda s, admin: communities.add_moderator(s, admin, record_id(community_id), email),
            f"{email} moderates that community now.",
        )

    @event
    def revoke(self, community_id: int, grant_id: int):
        self._admin_act(
            lambda s, admin: communities.remove_moderator(
                s, admin, record_id(community_id), record_id(grant_id)
            ),
            "Moderator removed.",
        )


A = CommunitiesAdminState


def _number(text: str, name: str, value) -> rx.Component:
    return input_field(text, name, type="number", min=1, default_value=value)


def _form() -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.form(
                rx.vstack(
                    rx.heading(
                        rx.cond(A.editing != 0, "Edit " + A.editing_name, "New community"),
                        size="4",
                        as_="h2",
                    ),
                    rx.grid(
                        input_field("Name", "name", required=True, default_value=A.name),
                        input_field(
                            "Slug (the page is /community/<slug>)",
                            "slug",
                            required=True,
                            pattern="[a-z0-9-]+",
                            default_value=A.slug,
                        ),
                        input_field(
                            "Kick broadcaster user id",
                            "kick_broadcaster_id",
                            inputmode="numeric",
                            default_value=A.kick_broadcaster_id,
                        ),
                        input_field(
                            "Affiliate source (the environment variable holding the stats URL)",
                            "affiliate_source",
                            placeholder="AFFILIATE_URL_MYSTREAM",
                            default_value=A.affiliate_source,
                        ),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3",
                        width="100%",
                    ),
                    input_field("Prize", "prize", default_value=A.prize),
                    rx.grid(
                        input_field(
                            "Discord server id (for the slash commands)",
                            "discord_guild_id",
                            inputmode="numeric",
                            default_value=A.discord_guild_id,
                        ),
                        input_field(
                            "Discord role that makes moderators (its name)",
                            "discord_moderator_role",
                            placeholder="Raffle Mods",
                            default_value=A.discord_moderator_role,
                        ),
                        _number(
                            "Announce a gift or wager poll on Discord from (tickets at once)",
                            "discord_announce_threshold",
                            A.discord_announce_threshold,
                        ),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.el.fieldset(
                        rx.el.legend("Rates", style={"fontWeight": "500"}),
                        rx.grid(
                            _number("Chat-active minutes", "chat_minutes", A.chat_minutes),
                            _number("… earn tickets", "chat_tickets", A.chat_tickets),
                            _number("Tickets per gifted sub", "gift_tickets", A.gift_tickets),
                            _number("Dollars wagered", "wager_unit", A.wager_unit),
                            _number("… earn tickets", "wager_tickets", A.wager_tickets),
                            columns=rx.breakpoints(initial="2", md="5"),
                            spacing="3",
                            width="100%",
                        ),
                        style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
                    ),
                    rx.hstack(
                        rx.el.input(
                            type="checkbox",
                            id="auto_draw",
                            name="auto_draw",
                            default_checked=A.auto_draw,
                        ),
                        label("Draw automatically at the monthly reset", "auto_draw"),
                        align="center",
                        spacing="2",
                    ),
                    rx.hstack(
                        rx.button(
                            rx.cond(A.editing != 0, "Save", "Create community"), type="submit"
                        ),
                        rx.cond(
                            A.editing != 0,
                            rx.button("Cancel", type="button", variant="soft", on_click=A.new),
                        ),
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=A.save,
                key=A.form_key.to_string(),
                width="100%",
            ),
            aria_label="Community settings",
        ),
        width="100%",
    )


WEBHOOK_ERROR_ID = "discord_webhook_url_error"


def _discord_webhook() -> rx.Component:
    """The edited community's announcements channel: a write-only URL, Remove, a test message."""
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Discord announcements", size="4", as_="h2"),
                rx.text(
                    "New periods, winners, and gifts or wager polls that earn at least the "
                    "threshold above are posted to a channel through its webhook (Discord: "
                    "channel settings → Integrations → Webhooks → New Webhook → Copy Webhook URL).",
                    size="2",
                ),
                rx.text("Webhook: ", rx.el.strong(A.webhook), size="2"),
                rx.form(
                    rx.hstack(
                        rx.box(
                            input_field(
                                "Discord webhook URL (never shown again once saved)",
                                "discord_webhook_url",
                                placeholder="https://discord.com/api/webhooks/…",
                                auto_complete="off",
                                spell_check=False,
                                required=True,
                                aria_invalid=rx.cond(A.webhook_error != "", "true", "false"),
                                aria_describedby=rx.cond(
                                    A.webhook_error != "", WEBHOOK_ERROR_ID, ""
                                ),
                            ),
                            rx.cond(
                                A.webhook_error != "",
                                rx.text(
                                    A.webhook_error,
                                    id=WEBHOOK_ERROR_ID,
                                    role="alert",
                                    color_scheme="red",
                                    size="2",
                                ),
                            ),
                            flex_grow="1",
                        ),
                        rx.button(
                            rx.cond(A.webhook == "not set", "Save webhook", "Replace"),
                            type="submit",
                        ),
                        align="end",
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=A.save_webhook,
                    reset_on_submit=True,
                    width="100%",
                ),
                rx.cond(
                    A.webhook != "not set",
                    rx.hstack(
                        rx.button(
                            "Send a test message",
                            type="button",
                            variant="soft",
                            on_click=A.send_test,
                        ),
                        rx.button(
                            "Remove webhook",
                            type="button",
                            variant="soft",
                            color_scheme="red",
                            on_click=A.remove_webhook,
                        ),
                        spacing="2",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            aria_label="Discord announcements",
        ),
        width="100%",
    )


def _moderators(c) -> rx.Component:
    grant_id = "moderator-" + c.id.to_string()
    return rx.vstack(
        rx.foreach(
            c.moderators,
            lambda m: rx.hstack(
                rx.text(m.member, size="2"),
                rx.button(
                    "Revoke",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    on_click=A.revoke(c.id, m.grant_id),
                    aria_label="Revoke moderator " + m.member,
                ),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
        ),
        rx.form(
            rx.hstack(
                rx.el.input(type="hidden", name="community_id", value=c.id),
                rx.vstack(
                    label("Moderator's email", grant_id),
                    rx.input(id=grant_id, name="moderator_email", type="email", required=True),
                    spacing="1",
                ),
                rx.button("Grant", type="submit", size="2"),
                align="end",
                spacing="2",
                wrap="wrap",
            ),
            on_submit=A.grant,
            reset_on_submit=True,
        ),
        spacing="2",
    )


def _row(c) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(c.name, href=c.page_url),
                rx.link("Console", href=c.console_url, size="1"),
                spacing="1",
            )
        ),
        rx.table.cell(c.kick),
        rx.table.cell(c.rates, rx.cond(c.auto_draw, "; draws automatically", "")),
        rx.table.cell(_moderators(c)),
        rx.table.cell(
            rx.button(
                "Edit", size="1", variant="soft", on_click=A.edit(c.id), aria_label="Edit " + c.name
            )
        ),
    )


@rx.page(
    route=routes.ADMIN_COMMUNITIES,
    title="Communities · LuckyClub admin",
    on_load=[SessionState.require_sign_in, CommunitiesAdminState.load],
)
def admin_communities_page() -> rx.Component:
    return admin_page(
        "Communities",
        CommunitiesAdminState,
        rx.cond(
            A.failed_kick_events > 0,
            rx.callout(
                rx.fragment(  # the callout's own text is a <p>: no second one inside it
                    A.failed_kick_events,
                    rx.cond(
                        A.failed_kick_events == 1,
                        " Kick event failed for good and is not tried again by itself: ",
                        " Kick events failed for good and are not tried again by themselves: ",
                    ),
                    rx.link("retry or dismiss them", href=routes.ADMIN_KICK_EVENTS),
                    ".",
                ),
                icon="triangle_alert",
                color_scheme="orange",
                role="status",
                width="100%",
            ),
        ),
        _form(),
        rx.cond(A.editing != 0, _discord_webhook()),
        rx.heading("Communities", size="4", as_="h2"),
        rx.cond(
            A.rows.length() > 0,
            data_table(["Community", "Kick id", "Rates", "Moderators", ""], A.rows, _row),
            rx.text("No community yet.", size="2"),
        ),
    )
