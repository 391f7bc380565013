"""The committed golden image (tests/golden/) is what the writer produces
today, and reads back as small.json describes. The kernel's host tests read
the same files, so a format change shows up on both sides at once.

Regenerate after an intended format change:  python tests/golden/make_golden.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from cvmify.disk.reader import DiskReader

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
import make_golden  # noqa: E402


def test_committed_golden_files_match_a_fresh_generation(tmp_path):
    make_golden.main(tmp_path)
    for name in ("small.img", "small.key", "small.json", "chain.json"):
        assert (tmp_path / name).read_bytes() == (GOLDEN / name).read_bytes(), \
            f"{name} drifted: run python tests/golden/make_golden.py and review the diff"


def test_golden_image_reads_back_as_described():
    meta = json.loads((GOLDEN / "small.json").read_text())
    key = (GOLDEN / meta["key_file"]).read_bytes()
    assert (GOLDEN / meta["image"]).stat().st_size == meta["size"] <= 64 * 1024
    with DiskReader(GOLDEN / meta["image"], key, bytes.fromhex(meta["root"])) as reader:
        assert reader.superblock.salt.hex() == meta["salt"]
        entries = list(reader.walk())
        assert [e.path for e in entries] == [item["path"] for item in meta["listing"]]
        for entry, item in zip(entries, meta["listing"]):
            assert (entry.inode, entry.mode, entry.uid, entry.gid, entry.mtime, entry.nlink) == \
                (item["inode"], item["mode"], item["uid"], item["gid"], item["mtime"], item["nlink"])
            if "sha256" in item:
                assert hashlib.sha256(reader.read_file(entry.path)).hexdigest() == item["sha256"]
            if "target" in item:
                assert entry.target == item["target"]
        report = reader.verify()
    assert {"files": report.files, "dirs": report.dirs, "symlinks": report.symlinks,
            "bytes": report.bytes} == meta["counts"]
    sizes = sorted(item["size"] for item in meta["listing"] if item["path"].startswith("/data/f"))
    assert sizes == [0, 1, 4095, 4096, 4097, 20000]
