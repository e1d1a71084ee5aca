"""Explore's replay state machine, on a plain dict (no browser, no Streamlit)."""

from ui.playback import PLAYING, Playback

EPOCHS = [5, 10, 15]


def _replay(state=None):
    return Playback({} if state is None else state, "explore.epoch.run")


def test_starts_on_the_newest_snapshot_and_follows_new_ones():
    pb = _replay()
    assert pb.current(EPOCHS) == 15 and not pb.playing
    pb.state[pb.epoch_key] = 99  # a snapshot that is gone (another run's slider value)
    assert pb.current(EPOCHS) == 15
    assert pb.tick(EPOCHS) is False and pb.current(EPOCHS) == 15  # not playing: never moves


def test_play_from_the_end_rewinds_shows_the_first_frame_then_steps_and_stops_at_the_end():
    pb = _replay()
    pb.current(EPOCHS)
    pb.play(EPOCHS)
    assert pb.playing and pb.current(EPOCHS) == 5
    assert pb.tick(EPOCHS) is False and pb.current(EPOCHS) == 5  # the first frame is shown before moving
    assert pb.tick(EPOCHS) is False and pb.current(EPOCHS) == 10
    assert pb.tick(EPOCHS) is False and pb.current(EPOCHS) == 15
    assert pb.tick(EPOCHS) is True and not pb.playing  # ended: the caller reruns to stop the timer
    assert pb.tick(EPOCHS) is False and pb.current(EPOCHS) == 15


def test_play_from_the_middle_continues_from_there():
    pb = _replay({"explore.epoch.run": 10})
    pb.play(EPOCHS)
    pb.tick(EPOCHS)
    assert pb.current(EPOCHS) == 10
    pb.tick(EPOCHS)
    assert pb.current(EPOCHS) == 15


def test_the_run_of_a_pause_click_does_not_step_and_pause_stops():
    pb = _replay({"explore.epoch.run": 5, PLAYING: True})
    assert pb.tick(EPOCHS, pause_clicked=True) is False and pb.current(EPOCHS) == 5
    pb.pause()
    assert not pb.playing
    assert pb.tick(EPOCHS) is False and pb.current(EPOCHS) == 5


def test_a_live_run_adding_snapshots_extends_the_replay():
    pb = _replay({"explore.epoch.run": 15, PLAYING: True})
    assert pb.tick(EPOCHS + [20]) is False and pb.current(EPOCHS + [20]) == 20


def test_a_replay_of_many_snapshots_steps_over_several_and_ends_on_the_last():
    from ui.playback import MAX_REPLAY_STEPS

    eps = list(range(201))  # a snapshot every epoch
    pb = _replay()
    pb.play(eps)
    ticks, seen = 0, []
    while pb.tick(eps) is False:
        ticks += 1
        seen.append(pb.current(eps))
    assert ticks <= MAX_REPLAY_STEPS + 2 and seen[-1] == 200 and seen == sorted(seen)
