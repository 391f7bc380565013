"""The kernel's host unit tests (kernel/tests/host, ASan + UBSan).

`make -C kernel host-tests` builds the kernel's fs/, drivers/virtio,
config/ and proc/elf_parse.c sources for the host and runs every test
binary against the golden disk image in tests/golden. This wrapper
asserts that the run passed and that the key tests actually ran (a
runner that silently ran nothing must not pass).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import KERNEL_DIR
from tests.images import cache

pytestmark = [pytest.mark.slow]

# Tests that must appear as passed in the output, one per area.
REQUIRED = [
    "every_data_byte_flip_fails_that_block",  # cvmfs: each flipped byte -> EIO for that block
    "tag_table_flips_refused",                # cvmfs: root mismatch refuses the disk
    "failed_block_is_never_cached",           # page cache: no unauthenticated block is kept
    "readahead_skips_a_bad_neighbour",
    "eviction_under_memory_pressure",         # page cache: reclaim + reserve, bytes stay right
    "malformed_authentic_images",             # fuzzer: re-encrypted malformed metadata
    "golden_listing",                         # VFS over cvmfs: metadata + sha256 of every file
    "tmpfs_dirs_and_rename",                  # tmpfs namespace operations
    "overlay_shows_the_image",                # root overlay: the image through it
    "overlay_copy_up_one_page",               # root overlay: copy-up per page, truncation
    "overlay_deletes_and_renames",
    "overlay_metadata_and_links",
    "overlay_directories",
    "overlay_space_limit",                    # root overlay: ENOSPC, image intact
    "overlay_read_only_refuses_changes",      # READ_ONLY_ROOT
    "used_idx_jump",                          # virtqueue: hostile device writes
    "len_too_large",
    "id_not_in_flight",
    "batch_and_kick",                         # virtqueue: one notification per batch
    "negotiate_refused",                      # virtio device layer: lying transports
    "config_generation",
    "receive_frames",                         # virtio-net: frames copied out, runts dropped
    "rule_violations",                        # virtio-net: a lying device breaks it for good
    "net_refusals",                           # config: the NET record
    "hostname",
    "elf_loads_refused",                      # ELF parser: hostile program headers
    "elf_interp_refused",
    "elf_bias_choice",
    "elf_fuzz_header_flips",                  # ELF parser: byte-flip fuzzer
    "elf_real_static",                        # real gcc outputs vs readelf and Linux's auxv
    "elf_real_static_pie",
    "elf_real_dynamic_pie",
    "elf_real_dynamic_nopie",
    "elf_real_host_binaries",
    "tdx_port_read_masks_width",              # TDX backend vs the TDX module/VMM model
    "tdx_vmm_error_status_refused",
    "tdx_map_gpa_shared_bit",
    "tdx_map_gpa_retry",
    "tdx_rtmr_extend_digest",
    "tdx_report_reportdata",
    "td_hob_qemu_shape",                      # TD boot: the HOB parser on QEMU's shape...
    "td_hob_hostile",                         # ...and on hostile lists
    "td_accept_range_skips_sections_and_uses_2m",
    "td_accept_falls_back_to_4k",
    "td_ve_cpuid_other_leaves_are_zero",      # #VE: no feature bits from the host
    "td_ve_port_in_and_out",
    "td_ve_string_io_refused",
    "tdx_get_quote_checks_the_host",          # GetQuote: status and lengths checked
    "td_start_cpu_mailbox",                   # TD APs: the wake-up mailbox
    "volume_header_flips_refused",            # volumes: a flipped header bit refuses that state
    "volume_blocks_authenticated",            # ... every block against its pointer
    "volume_golden_listing",                  # ... the golden volume through the VFS
    "volume_files_persist",                   # ... what the kernel writes survives a remount
    "volume_crash_anywhere",                  # ... a crash at any write or flush: old or new state
    "volume_full_gives_enospc",               # ... -ENOSPC when full, room again after rm
    "volume_tampering_detected",              # ... flipped blocks refuse the mount or fail reads
    "volume_records_refused",                 # ... VOLUME overrides outside the measured policy
    "tmpfs_mount_records_refused",            # --tmpfs: TMPFS_MOUNT overrides checked and allowed
    "new_and_existing_mount_points",          # ... mounted with their size, mode and owner
    "flags_go_on_the_mount",                  # ... and flags: noexec refuses execve, ro writes
    "volume_malformed_authentic_metadata",    # ... re-committed corrupt metadata: refused or read safely
    "user_return_bad_rip_refused",            # no rip beyond the user limit reaches sysret/iret
    "user_return_sysret_when_safe",
    "crypto_gcm_leaves_no_key_on_stacks",     # key schedule wiped after each crypto call
    "crypto_stack_depth_within_wipe",
    "nospec_out_of_range_zero",               # speculation-safe index masking
]


@pytest.fixture(scope="module")
def host_tests_output() -> str:
    with cache.build_lock("kernel-host-tests"):
        result = subprocess.run(["nice", "make", "-C", str(KERNEL_DIR), "host-tests"],
                                capture_output=True, text=True)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-60:])
        pytest.fail(f"make -C kernel host-tests failed ({result.returncode}):\n{tail}",
                    pytrace=False)
    return output


def test_host_tests_pass(host_tests_output):
    assert "host-tests: all passed" in host_tests_output
    assert "FAIL" not in host_tests_output


@pytest.mark.parametrize("name", REQUIRED)
def test_required_test_ran_and_passed(host_tests_output, name):
    assert f"ok   {name}\n" in host_tests_output


def test_tdx_kernel_builds_and_links_the_tdx_backend():
    """`make PLATFORM=tdx` must keep building (docs/tdx.md): nothing boots it
    here, so this is what stops the backend from rotting."""
    build = subprocess.run(["make", "-C", str(KERNEL_DIR), "PLATFORM=tdx"], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    elf = KERNEL_DIR / "build" / "tdx" / "cvmify-kernel.elf"
    symbols = subprocess.run(["nm", str(elf)], capture_output=True, text=True, check=True).stdout
    for name in ("tdx_io_read", "tdx_map_gpa", "tdx_get_report", "tdx_info_init"):
        assert f" T {name}\n" in symbols, name
    stripped = elf.with_suffix(".stripped")
    assert 0 < stripped.stat().st_size <= _size_budget()


def _size_budget() -> int:
    """The one budget, kernel/Makefile's SIZE_BUDGET (docs/benchmarks.md, "Kernel size")."""
    text = (KERNEL_DIR / "Makefile").read_text()
    match = re.search(r"^SIZE_BUDGET := (\d+)$", text, re.MULTILINE)
    assert match, "kernel/Makefile has no SIZE_BUDGET"
    return int(match.group(1))
