"""The committed golden volume (tests/golden/volume.*) is what the writer
produces today and reads back as volume.json describes. The kernel's host
tests read the same files, so a format change shows up on both sides.

Regenerate after an intended format change:
    python tests/golden/make_volume_golden.py
"""

from __future__ import annotations

import hashlib
import json
import stat
import sys
from pathlib import Path

from cvmify.volume.fs import VolumeFS
from cvmify.volume.store import StateId, open_volume

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
import make_volume_golden  # noqa: E402


def test_committed_golden_volume_matches_a_fresh_generation(tmp_path):
    make_volume_golden.main(tmp_path)
    for name in ("volume.img", "volume.key", "volume.json"):
        assert (tmp_path / name).read_bytes() == (GOLDEN / name).read_bytes(), \
            f"{name} drifted: run python tests/golden/make_volume_golden.py and review the diff"


def test_golden_volume_reads_back_as_described():
    meta = json.loads((GOLDEN / "volume.json").read_text())
    key = (GOLDEN / meta["key_file"]).read_bytes()
    state = StateId(meta["generation"], bytes.fromhex(meta["root"]))
    with open_volume(GOLDEN / meta["image"], key, state) as vol:
        fs = VolumeFS(vol)
        assert (vol.header.used_blocks, vol.header.inode_count) == (meta["used_blocks"], meta["inode_count"])
        assert vol.header.inode_table_depth == 1  # 165 inodes: more than one table block
        entries = sorted(fs.walk(), key=lambda e: e.path)
        assert [e.path for e in entries] == [item["path"] for item in meta["listing"]]
        for entry, item in zip(entries, meta["listing"]):
            assert (entry.ino, entry.inode.mode, entry.inode.uid, entry.inode.gid, entry.inode.nlink) == \
                (item["inode"], item["mode"], item["uid"], item["gid"], item["nlink"])
            if stat.S_ISREG(entry.inode.mode):
                assert hashlib.sha256(fs.read_file(entry.path)).hexdigest() == item["sha256"]
        assert len(fs.listdir("/many")) == 150
        assert fs.read_file("/data/sparse")[-1:] == b"!"
    older = StateId(meta["older_generation"], bytes.fromhex(meta["older_root"]))
    with open_volume(GOLDEN / meta["image"], key, older) as vol:
        assert VolumeFS(vol).listdir("/") == []  # the writer's epoch commit: still empty
