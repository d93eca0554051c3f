"""The audit log's actions are a closed set: an unknown action is refused and nothing is written."""

import pytest

from data.audit import Action, list_events, record_event
from ui.i18n import catalogue


def test_an_unknown_action_is_refused_and_nothing_is_written(store):
    with pytest.raises(ValueError, match="unknown audit action 'user_added'"):
        record_event(store, "cli", "user_added", target="li")
    assert list_events(store).empty


def test_a_known_action_is_stored_under_its_name_whether_given_as_member_or_name(store):
    record_event(store, "cli", Action.WAVE_OPEN, target="W1")
    record_event(store, "cli", "wave_close", target="W1")
    assert list(list_events(store)["action"]) == ["wave_close", "wave_open"]


def test_every_action_has_a_label_in_both_languages():
    # the audit page names each action through `audit_action_<name>`
    missing = [a.value for a in Action if f"audit_action_{a.value}" not in catalogue()]
    assert not missing
