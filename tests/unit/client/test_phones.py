"""What `hangup` alone hangs up: the latest live channel of the user's own lines, as the phones'
status says, and nothing of other users' phones or of a previous session."""

from ctid.client.phones import MyPhones


def test_the_current_call_is_the_latest_channel_of_my_lines() -> None:
    phones = MyPhones()
    assert phones.current_channel() is None
    config = {"config": {"linelist": ["1001@default", "1005@default"]}}
    assert phones.learn_lines(config) == ["1001@default", "1005@default"]
    phones.update({"tid": "1002@default", "status": {"channels": ["PJSIP/1002-1"]}})
    assert phones.current_channel() is None  # not my line
    phones.update({"tid": "1005@default", "status": {"channels": ["PJSIP/1005-1", "PJSIP/1005-2"]}})
    assert phones.current_channel() == "PJSIP/1005-2"
    phones.update({"tid": "1005@default", "status": {"hintstatus": "1"}})  # no channels key
    assert phones.current_channel() == "PJSIP/1005-2"
    phones.update({"tid": "1005@default", "status": {"channels": []}})
    assert phones.current_channel() is None
    phones.update({"tid": "1005@default", "status": {"channels": ["PJSIP/1005-3"]}})
    phones.clear()
    assert phones.current_channel() is None


def test_odd_answers_teach_nothing() -> None:
    phones = MyPhones()
    assert phones.learn_lines({"config": "x"}) == []
    assert phones.learn_lines({"config": {"linelist": "1001@default"}}) == []
    phones.update({"tid": "1001@default", "status": "busy"})
    assert phones.current_channel() is None
