"""Each feature declares its routes once (``bot.core.dialog.router.Router``); the table collects them and refuses,
at start-up, two features claiming the same trigger in the same state or the same button prefix."""
import pytest

from bot.core.dialog import qa, table
from bot.core.dialog.router import IDLE, RouteConflict, Router, Table


async def _handler(ctx):
    """Does nothing (a test row)."""
    return []


def test_every_row_names_the_feature_that_declared_it():
    assert {row.feature for row in table.TABLE} == {router.name for router in table.ROUTERS}
    assert table.find(IDLE, "text").feature == "qa"
    assert table.find("fb.question", "action:fa").feature == "feedback"


def test_two_features_claiming_one_button_prefix_fail_at_start_up():
    other = Router("other")
    other.action("cat", _handler, state="somewhere_else")
    with pytest.raises(RouteConflict, match="'cat' claimed by qa and other"):
        Table((qa.router, other))


def test_two_features_claiming_one_trigger_in_one_state_fail_at_start_up():
    other = Router("other")
    other.command("help", _handler)
    with pytest.raises(RouteConflict, match="command:help"):
        Table((qa.router, other))


def test_describe_prints_every_row():
    assert len(table.describe().splitlines()) == len(table.TABLE.rows) + 1
