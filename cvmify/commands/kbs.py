"""`cvmify kbs serve --bundle B [--key K] ...`: the development key broker.

Each bundle becomes one resource: its disk key (from --key, given in the
same order as --bundle, else the bundle's development key file) for its
disk root, released only to a quote that matches the bundle's measurements
(recomputed from td.fd and config.bin; cvmify/kbs/broker.py).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cvmify.errors import UsageError

log = logging.getLogger(__name__)


@dataclass
class ServeOptions:
    bundles: list[Path]
    keys: list[Path] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    allow_simulated: bool = False
    sim_key: Path | None = None
    collateral: Path | None = None
    root_ca: Path | None = None
    accept_tcb: list[str] = field(default_factory=list)
    mrtd_order: str = "single"


def load_resources(opts: ServeOptions) -> dict:
    from cvmify.bundle import load_bundle
    from cvmify.commands.keys import load_key_file
    from cvmify.commands.verify import bundle_reference
    from cvmify.kbs.broker import Resource

    if not opts.bundles:
        raise UsageError("give at least one --bundle")
    if opts.keys and len(opts.keys) != len(opts.bundles):
        raise UsageError("give one --key per --bundle, in the same order, or none")
    resources = {}
    for i, path in enumerate(opts.bundles):
        bundle = load_bundle(path)
        key = load_key_file(opts.keys[i]) if opts.keys else bundle.read_key()
        if not opts.keys:
            log.warning("kbs: %s: serving the bundle's development key file", path)
        root = bundle.index.disk.root
        resources[root] = Resource(disk_root=root, key=key, reference=bundle_reference(path, opts.mrtd_order),
                                   name=str(path))
    return resources


def make_broker(opts: ServeOptions, default_sim_key: Path):
    from cvmify.attest.dcap import load_collateral
    from cvmify.kbs.broker import Broker, BrokerConfig

    config = BrokerConfig(
        accepted_tcb=frozenset({"UpToDate", *opts.accept_tcb}),
        allow_simulated=opts.allow_simulated,
        sim_key=opts.sim_key or default_sim_key,
        collateral=load_collateral(opts.collateral) if opts.collateral else None,
        root_ca_der=opts.root_ca.read_bytes() if opts.root_ca else None,
    )
    return Broker(resources=load_resources(opts), config=config)


def serve(opts: ServeOptions, default_sim_key: Path, out: TextIO = sys.stdout) -> None:
    """Serve until interrupted; the first line on `out` names the URL."""
    from cvmify.kbs.broker import make_server

    server = make_server(make_broker(opts, default_sim_key), opts.host, opts.port)
    host, port = server.server_address[:2]
    out.write(f"cvmify kbs: listening on http://{host}:{port}\n")
    out.flush()
    if opts.allow_simulated:
        log.warning("kbs: accepting SIMULATED quotes (--allow-simulated): development only")
    try:
        server.serve_forever()
    finally:
        server.server_close()
