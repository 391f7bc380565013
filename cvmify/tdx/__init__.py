"""Intel TDX: td.fd (our TDVF-format boot image), MRTD/RTMR prediction,
quote and event-log verification, simulated attestation (docs/tdx.md)."""
