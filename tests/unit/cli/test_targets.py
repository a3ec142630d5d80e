"""What an ADDRESS names (qmpsh.cli.targets.resolve), and a target that
leads to a transport of the SCHEMES table other than unix or TCP: it works
unchanged, whatever the transport (the test-only ``Bridge`` stands in for
libvirt's)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from qmpsh.cli.targets import TargetError, resolve
from qmpsh.core.errors import ConnectFailed
from qmpsh.discover.probe import probe_all
from qmpsh.discover.procs import UnixTable
from qmpsh.discover.rows import Row
from qmpsh.wire.address import AddressError
from qmpsh.wire.connection import Connection
from qmpsh.wire.named import Named
from qmpsh.wire.stream import TcpSocket, UnixSocket
from qmpsh.wire.transport import SCHEMES
from tests.unit.wire.test_transport import Bridge


def write_config(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_what_a_word_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve(None, {}) is None
    # no targets: a plain word is a path, as it always was
    found = resolve("web3")
    assert found is not None and found.transport == UnixSocket("web3")
    write_config('[targets]\nweb3 = "localhost:4444"\n')
    found = resolve("web3")
    assert found is not None and found.target is not None
    assert isinstance(found.transport, Named)
    assert found.transport.inner == TcpSocket("localhost", 4444)
    assert found.transport.name == "web3 (localhost:4444)"
    for word in ("./web3", "unix:web3"):
        found = resolve(word)
        assert found is not None and found.target is None, word
    found = resolve(None, {"QMP_SOCKET": "web3"})
    assert found is not None and found.target is not None
    with pytest.raises(TargetError) as info:
        resolve(None, {"QMP_SOCKET": "web"})
    assert str(info.value).startswith("$QMP_SOCKET: no target 'web' in ")
    # a file of that name is there: it is the file once no target has it
    (tmp_path / "other").touch()
    found = resolve("other")
    assert found is not None and found.transport == UnixSocket("other")
    with pytest.raises(AddressError) as bad:
        resolve(None, {"QMP_SOCKET": "host:port"})
    assert str(bad.value).startswith("$QMP_SOCKET: bad port 'port'")


def test_a_transport_this_qmpsh_lacks_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('[targets.db1]\nlibvirt = "db1"\n')
    monkeypatch.delitem(SCHEMES, "libvirt")  # as in a qmpsh without it
    with pytest.raises(TargetError) as info:
        resolve("db1")
    assert str(info.value).endswith(
        "[targets.db1]: 'libvirt:db1' needs the libvirt: transport, which this "
        "qmpsh does not have (yet)"
    )
    # a host called libvirt is still one
    write_config('[targets.db1]\naddress = "libvirt:4444"\n')
    found = resolve("db1")
    assert found is not None and isinstance(found.transport, Named)
    assert found.transport.inner == TcpSocket("libvirt", 4444)


def parse_bridge(text: str) -> Bridge:
    return Bridge(text)


@pytest.fixture
def libvirt_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line the libvirt transport will add, with a stand-in."""
    monkeypatch.setitem(SCHEMES, "libvirt", f"{__name__}:parse_bridge")


@pytest.mark.usefixtures("libvirt_row")
def test_a_target_reaches_any_transport_unchanged() -> None:
    write_config('[targets.db1]\nlibvirt = "db1"\ntimeout = 3\n')
    found = resolve("db1")
    assert found is not None and found.settings == {"timeout": 3}
    transport = found.transport
    assert isinstance(transport, Named) and isinstance(transport.inner, Bridge)
    assert transport.name == "db1 (libvirt:db1)"
    assert (transport.fd_passing, transport.may_be_agent) == (False, False)

    async def session() -> None:
        conn = Connection()
        await conn.connect(transport, 5)
        assert conn.address == "db1 (libvirt:db1)" and conn.version == "7.2.22"
        reply = await conn.execute({"execute": "query-status"})
        assert reply["return"]["status"] == "running"
        await conn.close()
        assert transport.inner.serving is None  # type: ignore[attr-defined]

    asyncio.run(session())


@pytest.mark.usefixtures("libvirt_row")
def test_its_failures_name_the_target() -> None:
    write_config('[targets.db1]\nlibvirt = "db1"\n')
    found = resolve("db1")
    assert found is not None
    assert isinstance(found.transport, Named)
    inner = found.transport.inner
    assert isinstance(inner, Bridge)
    inner.greet = False

    async def session() -> str:
        conn = Connection()
        with pytest.raises(ConnectFailed) as info:
            await conn.connect(found.transport, 0.3)
        await conn.close()
        return info.value.message

    assert asyncio.run(session()) == "db1: the bridge to libvirt:db1 said nothing"


@pytest.mark.usefixtures("libvirt_row")
def test_ls_probes_through_the_transport() -> None:
    rows = [Row("libvirt:db1", "target", "db1"), Row("libvirt:db2", "target", "db2")]
    probed = asyncio.run(probe_all(rows, 1.0, UnixTable()))
    assert [(r.state, r.version) for r in probed] == [("free", "7.2.22")] * 2
