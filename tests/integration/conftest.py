"""pytest fixtures: a started parzend in a temporary directory."""
import pytest

from daemon import Daemon


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path).start()
    yield d
    if d.proc.poll() is None:
        assert d.stop() == 0, d.read_log()
