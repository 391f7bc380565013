"""Attestation: TDX quotes (real, through dcap-qvl; simulated, for plain
VMs), the verification policy, and the key broker's checks (docs/tdx.md)."""
