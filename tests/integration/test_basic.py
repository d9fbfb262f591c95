"""The daemon starts, answers, and stops cleanly."""


def test_server_info(daemon):
    c = daemon.connect()
    info = c.call("server.info")
    assert info["name"] == "parzend"
    assert info["protocol"] == 1
    assert info["durability"] == "full"
    c.close()


def test_sigterm_exits_zero_and_removes_socket(daemon):
    import os
    c = daemon.connect()
    c.call("server.info")
    c.close()
    assert daemon.stop() == 0
    assert not os.path.exists(daemon.socket)
