"""A competition's phase badge is coloured from the one status palette every page uses."""

from __future__ import annotations

from luckyclub.components.competition import competition_badges
from luckyclub.components.layout import STATUS_COLOURS
from luckyclub.pages.competition import CompetitionPageState
from luckyclub.state.competition_views import PHASE_WORDS


def test_every_phase_has_a_colour_in_the_shared_palette():
    assert set(PHASE_WORDS) <= set(STATUS_COLOURS)


def test_the_phase_badge_takes_its_colours_from_the_palette():
    rendered = str(competition_badges(CompetitionPageState.comp))
    assert '"cancelled"' in rendered and STATUS_COLOURS["cancelled"] == "red"
    for phase in PHASE_WORDS:
        assert f'"{phase}"' in rendered and f'"{STATUS_COLOURS[phase]}"' in rendered
