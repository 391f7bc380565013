"""The key-release relay around a run (`cvmify run --mode tdx|tdx-sim`):
start it listening on the run directory's socket before QEMU starts (QEMU
connects to it as COM4), stop it when QEMU is gone."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

SOCKET_NAME = "kbs.sock"
COM4_IOBASE = 0x2E8
COM4_IRQ = 5


def kbs_device_args(socket_path: Path) -> list[str]:
    """COM4, the guest's wire to the relay (kernel/platform/tdx/kbs_channel.c)."""
    from cvmify.launch.qemu import escape

    return ["-chardev", f"socket,id=kbs,path={escape(str(socket_path))}",
            "-device", f"isa-serial,chardev=kbs,iobase={COM4_IOBASE:#x},irq={COM4_IRQ}"]


def sim_quoter(td_fd: Path, key_path: Path):
    """The simulated quoting enclave: MRTD of the td.fd being booted
    (upstream order), signed with the development key."""
    from cvmify.attest.simulated import load_or_create_key
    from cvmify.kbs.relay import SimQuoter
    from cvmify.tdx.mrtd import compute_mrtd
    from cvmify.tdx.tdvf import read_td_fd

    return SimQuoter(mrtd=compute_mrtd(read_td_fd(td_fd), "single"), key=load_or_create_key(key_path))


@contextmanager
def kbs_relay(kbs_url: str | None, rundir: Path | None, td_fd: Path, simulated: bool,
              sim_key: Path) -> Iterator[object]:
    if kbs_url is None:
        yield None
        return
    from cvmify.kbs.relay import Relay

    assert rundir is not None
    relay = Relay(rundir / SOCKET_NAME, kbs_url, sim_quoter(td_fd, sim_key) if simulated else None)
    relay.start()
    try:
        yield relay
    finally:
        relay.close()
        relay.join(timeout=5)
