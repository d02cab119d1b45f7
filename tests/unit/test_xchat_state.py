"""`accounts list` says where each account's XChat set-up stands."""

from xdm_cli.accounts import xchat_state

NOW = 1_795_521_600.0


def test_each_step_of_the_set_up_is_named_with_what_to_run_next() -> None:
    assert xchat_state({}, NOW) == "XChat: not set up (xchat login)"
    assert "xchat keys register" in xchat_state({"xchat": {"access_token": "t"}}, NOW)
    ready = {"xchat": {"access_token": "t", "key_version": "17", "expires_at": NOW + 5_400}}
    assert xchat_state(ready, NOW) == "XChat: key version 17, token for 90 min more"
    assert "token expired" in xchat_state({"xchat": {**ready["xchat"], "expires_at": NOW - 1}}, NOW)
