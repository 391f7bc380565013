"""The fresh-system test: the README's two commands (`scripts/demo.sh`,
`.ci/run`) in a clean Debian 12 minbase chroot, by
scripts/fresh-system-test.sh.

It takes as long as CI itself (it runs CI inside the chroot), so CI skips
it and says so; run it by hand with CVMIFY_FRESH_SYSTEM=1 (both commands)
or CVMIFY_FRESH_SYSTEM=demo (only demo.sh), as root.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.guest import REPO_ROOT

MODE = os.environ.get("CVMIFY_FRESH_SYSTEM", "")


@pytest.mark.skipif(not MODE, reason="fresh-system test skipped on purpose: it runs .ci/run inside a "
                                     "Debian 12 chroot; set CVMIFY_FRESH_SYSTEM=1 (or =demo) to run it")
def test_readme_commands_on_a_fresh_debian_12(tmp_path):
    argv = [str(REPO_ROOT / "scripts" / "fresh-system-test.sh"), str(tmp_path / "fresh")]
    if MODE == "demo":
        argv.insert(1, "--demo-only")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=3 * 3600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "fresh-system-test: passed" in result.stdout
