"""Every reason dialog (refund, reject, ban, void, draw without beacon, reroll, override, cancel):
a blank reason keeps it open and says what is missing; a written one closes it and hands the form
to the page's own handler, and only to an admin page's handler (or a list editor's)."""

from __future__ import annotations

from luckyclub.pages.admin.draws import DrawsAdminState
from luckyclub.pages.admin.home import AdminState
from luckyclub.state.lists.editor import ListEditorState
from luckyclub.state.reason_dialog import REASON_MISSING, ReasonDialogState, action_name
from luckyclub.state.session import SessionState
from tests.db.reflex_state import finish, state_for_tab


def opened(key: str) -> ReasonDialogState:
    dialog = state_for_tab(ReasonDialogState)
    finish(ReasonDialogState.toggle, dialog, key, True)
    return dialog


def test_a_blank_or_too_short_reason_keeps_the_dialog_open_and_says_what_is_missing():
    dialog = opened("Void:7")
    for blank in ("", "   \n ", None, " no "):
        form = {"draw_id": "7", "reason": blank, "reason_action": action_name(DrawsAdminState.void)}
        assert finish(ReasonDialogState.submit, dialog, form) is None
        assert (dialog.open_key, dialog.missing) == ("Void:7", REASON_MISSING)


def test_a_written_reason_closes_the_dialog_and_hands_the_form_to_the_page():
    dialog = opened("Void:7")
    finish(ReasonDialogState.submit, dialog, {"reason": ""})
    form = {
        "draw_id": "7",
        "reason": "The sponsor withdrew",
        "reason_action": action_name(DrawsAdminState.void),
    }

    event = finish(ReasonDialogState.submit, dialog, form)

    assert (dialog.open_key, dialog.missing) == ("", "")
    assert event.handler.fn is DrawsAdminState.void.fn
    assert [value for _, value in event.args] != []


def test_the_dialog_hands_forms_only_to_admin_page_handlers():
    dialog = opened("Ban:3")
    for name in (action_name(SessionState.sign_out), "nothing.at_all", ""):
        form = {"reason": "Spamming the chat", "reason_action": name}
        assert finish(ReasonDialogState.submit, dialog, form) is None
    form = {"reason": "Spamming", "reason_action": action_name(AdminState.ban_member)}
    assert finish(ReasonDialogState.submit, dialog, form).handler.fn is AdminState.ban_member.fn


def test_a_page_outside_the_console_that_asks_for_reasons_gets_the_form_too():
    # A list's editor removes a signup with a reason; its handler checks the editor's role.
    form = {
        "signup_id": "3",
        "reason": "Double booked by mistake",
        "reason_action": action_name(ListEditorState.remove_signup),
    }
    event = finish(ReasonDialogState.submit, opened("Remove:3"), form)
    assert event.handler.fn is ListEditorState.remove_signup.fn


def test_closing_a_dialog_forgets_what_it_said():
    dialog = opened("Void:7")
    finish(ReasonDialogState.submit, dialog, {"reason": ""})
    finish(ReasonDialogState.toggle, dialog, "Void:7", False)
    assert (dialog.open_key, dialog.missing) == ("", "")
