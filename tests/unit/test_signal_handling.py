"""launch.signals: SIGTERM and SIGHUP raise a KeyboardInterrupt once, keep an ignored signal
ignored (nohup), and leave the handlers as they found them."""

from __future__ import annotations

import os
import signal

import pytest

from sweeps.launch import signals


@pytest.fixture
def default_handlers():
    saved = {s: signal.getsignal(s) for s in signals.STOPPING}
    for s in signals.STOPPING:
        signal.signal(s, signal.SIG_DFL)
    yield
    for s, h in saved.items():
        signal.signal(s, h)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stopping_signal_is_a_keyboard_interrupt_with_the_shells_exit_code(default_handlers, sig, code):
    with pytest.raises(KeyboardInterrupt) as raised, signals.stopping():
        os.kill(os.getpid(), sig)
    assert signals.name(raised.value) == signal.Signals(sig).name
    assert signals.exit_code(raised.value) == code
    assert signals.exit_code(KeyboardInterrupt()) == 130 and signals.name(KeyboardInterrupt()) == "Ctrl-C"
    assert signal.getsignal(sig) == signal.SIG_DFL   # restored


def test_a_second_signal_while_winding_down_is_ignored(default_handlers):
    wound_down = False
    with pytest.raises(signals.Stopped), signals.stopping():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)   # during the clean-up: no second exception
            wound_down = True
    assert wound_down


def test_an_ignored_signal_stays_ignored(default_handlers):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)   # as nohup leaves it
    with signals.stopping():
        os.kill(os.getpid(), signal.SIGHUP)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    with pytest.raises(signals.Stopped), signals.stopping():
        os.kill(os.getpid(), signal.SIGTERM)
