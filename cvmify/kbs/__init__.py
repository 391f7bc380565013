"""Key release for TDs: the protocol, a development key broker (`cvmify
kbs serve`) and the relay `cvmify run` runs between the guest and the
broker (docs/tdx.md, "Key release")."""
