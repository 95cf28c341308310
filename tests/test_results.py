"""Writing results: whole files or none, and Ctrl-C held back where steps go together."""

import os
import signal

import pytest

from ccsim.results import atomic_path, atomic_write_text, interrupts_deferred


def test_ctrl_c_inside_the_block_is_raised_when_it_ends():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            steps.append("first")
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("second")  # still runs: the interrupt waits for the block's end
    assert steps == ["first", "second"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_block_without_ctrl_c_runs_as_usual():
    with interrupts_deferred():
        value = 1
    assert value == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupted_write_leaves_the_old_file_alone(tmp_path):
    path = atomic_write_text(tmp_path / "out.csv", "old\n")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left


def test_a_finished_write_replaces_the_file_whole(tmp_path):
    path = atomic_write_text(tmp_path / "sub" / "out.csv", "old\n")
    atomic_write_text(path, "new\n")
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.csv"]


def test_outside_the_main_thread_the_block_just_runs():
    """signal.signal() works only in the main thread: a worker thread gets no protection,
    and no error."""
    import threading

    outcome = []

    def work():
        try:
            with interrupts_deferred():
                outcome.append("ran")
        except Exception as exc:  # pragma: no cover - the failure this test guards against
            outcome.append(repr(exc))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == ["ran"]
