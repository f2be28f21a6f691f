from parley.publishing.deliveries import FINAL, TRANSITIONS, State


def test_final_states_have_no_way_out() -> None:
    assert not [t for t in TRANSITIONS if t[0] in FINAL]


def test_every_state_but_the_final_ones_can_reach_a_final_one() -> None:
    reachable = {s: {to for frm, to in TRANSITIONS if frm == s} for s in State}
    for state in set(State) - FINAL:
        seen, frontier = {state}, [state]
        while frontier:
            for nxt in reachable[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen & FINAL, state


def test_every_delivery_not_gone_out_can_be_cancelled_and_held_but_not_one_under_way() -> None:
    # issue 15 item 7: a retry waiting for its next attempt is still to go out; `publishing` may be going out
    # issue 17: drafts and posts waiting for approval are still to go out too (a draft or a pending post that
    # is approved while held is held)
    not_gone_out = {State.SCHEDULED, State.HELD, State.RETRYING, State.DRAFT, State.PENDING_APPROVAL}
    assert {frm for frm, to in TRANSITIONS if to == State.CANCELLED} == not_gone_out
    assert {frm for frm, to in TRANSITIONS if to == State.HELD} == not_gone_out - {State.HELD}
    resumed = {State.SCHEDULED, State.RETRYING}
    assert {to for frm, to in TRANSITIONS if frm == State.HELD} == resumed | {State.CANCELLED}


def test_publishing_is_entered_only_from_a_due_attempt_or_an_expired_lease() -> None:
    assert {frm for frm, to in TRANSITIONS if to == State.PUBLISHING} == {
        State.SCHEDULED,
        State.RETRYING,
        State.PUBLISHING,
    }


def test_a_draft_is_never_armed_and_leaves_only_by_a_time_a_submission_or_a_cancel() -> None:
    assert {to for frm, to in TRANSITIONS if frm == State.DRAFT} == {
        State.SCHEDULED,
        State.HELD,
        State.PENDING_APPROVAL,
        State.CANCELLED,
    }
    assert {frm for frm, to in TRANSITIONS if to == State.DRAFT} == {State.PENDING_APPROVAL}  # rejected


def test_a_post_waiting_for_approval_is_approved_rejected_or_cancelled_never_published() -> None:
    assert {to for frm, to in TRANSITIONS if frm == State.PENDING_APPROVAL} == {
        State.SCHEDULED,
        State.HELD,
        State.DRAFT,
        State.CANCELLED,
    }
    # only a scheduled post goes back to approval (a contributor's edit); nothing under way does
    assert {frm for frm, to in TRANSITIONS if to == State.PENDING_APPROVAL} == {State.DRAFT, State.SCHEDULED}
