"""The block store of a volume: header slots, object trees, copy-on-write.

The Python twin of kernel/fs/volfs_store.c, written for clarity rather
than speed: `cvmify volume create/inspect`, the rollback check before a
run, and tests use it. docs/volume-format.md is the contract; the steps
of "Reader obligations" happen in `open_volume`:

1. file size, slot magic, version and MAC (`read_slots`);
2. the state: the expected (generation, root) or the newest (`pick_state`),
   then the header rules (`check_header`);
3. every block is authenticated with the pointer that names it before a
   byte of it is used (`Volume.load`);
4. every pointer, inode and size is bound-checked as it is parsed; a
   writable open walks all metadata first (`Volume._walk`).

A writer (`writable=True`) first commits a header with the next epoch
(the nonce rule), then changes objects in memory; `commit()` writes every
changed block to a block the committed state does not use, flushes, and
switches the header (docs/volume-format.md, "Commit").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cvmify.errors import CvmifyIOError, IntegrityError, VolumeError
from cvmify.volume.keys import VolumeKeys, nonce, volume_root
from cvmify.volume.layout import (
    BLOCK_SIZE, FANOUT, FIRST_DATA_BLOCK, FREE_INODE, HEADER_SIZE, HOLE, INODE_SIZE,
    INODES_PER_BLOCK, KNOWN_FLAGS, MAC_OFFSET, MAC_SIZE, MAGIC, MAX_BLOCK_COUNT, MAX_DEPTH,
    MAX_INODES, MIN_BLOCK_COUNT, PTR_SIZE, ROOT_INO, VERSION, BlockPtr, Header, Inode, capacity,
    dtype_for_mode, header_slot,
)

TABLE = 0  # the inode table's object number (slot 0 is never an inode)


@dataclass(frozen=True)
class StateId:
    """The name of one committed state: what `cvmify` records between runs."""

    generation: int
    root: bytes  # 48 bytes, SHA-384 of the header slot

    def to_json(self) -> dict:
        return {"generation": self.generation, "root": self.root.hex()}


@dataclass(frozen=True)
class Slot:
    index: int  # 0 = A, 1 = B
    raw: bytes
    header: Header

    @property
    def state(self) -> StateId:
        return StateId(self.header.generation, volume_root(self.raw))


class NoSpace(Exception):
    """The volume has no free block left (the kernel's ENOSPC)."""


# -- step 1 and 2: slots and the state ---------------------------------------------


def _pread(fd: int, offset: int, size: int, path: Path) -> bytes:
    try:
        return os.pread(fd, size, offset)
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e}") from e


def read_slots(path: Path, fd: int, keys: VolumeKeys | None) -> list[Slot]:
    """The header slots that hold a state (with keys: whose MAC verifies)."""
    slots = []
    for index in (0, 1):
        raw = _pread(fd, index * BLOCK_SIZE, HEADER_SIZE, path)
        if len(raw) != HEADER_SIZE or raw[:8] != MAGIC:
            continue
        if keys is not None and not keys.mac_ok(raw):
            continue
        slots.append(Slot(index, raw, Header.unpack(raw)))
    return slots


def pick_state(path: Path, slots: list[Slot], expected: StateId | None) -> Slot:
    if not slots:
        raise IntegrityError(f"{path}: no valid volume header (not a volume, a wrong key, or tampered)")
    if expected is not None:
        for slot in slots:
            if slot.state == expected:
                return slot
        newest = max(slots, key=lambda s: s.header.generation)
        raise IntegrityError(
            f"{path}: the volume is not in the state the last run left (generation "
            f"{expected.generation}); it holds generation {newest.header.generation}: "
            "rolled back or tampered with")
    return max(slots, key=lambda s: s.header.generation)


def check_header(path: Path, slot: Slot, file_size: int) -> None:
    h = slot.header
    problems = []
    if h.version != VERSION or h.block_size != BLOCK_SIZE:
        problems.append(f"version {h.version}, block size {h.block_size}")
    if not MIN_BLOCK_COUNT <= h.block_count <= MAX_BLOCK_COUNT:
        problems.append(f"block_count {h.block_count}")
    elif file_size != h.block_count * BLOCK_SIZE:
        problems.append(f"file size {file_size} for {h.block_count} blocks")
    if h.generation < 1 or header_slot(h.generation) != slot.index:
        problems.append(f"generation {h.generation} in slot {'AB'[slot.index]}")
    if h.epoch < 1 or h.flags & ~KNOWN_FLAGS:
        problems.append(f"epoch {h.epoch}, flags {h.flags:#x}")
    size = h.inode_table_size
    if size < BLOCK_SIZE or size % BLOCK_SIZE or size > INODE_SIZE * MAX_INODES:
        problems.append(f"inode table size {size}")
    if h.inode_table_depth > MAX_DEPTH or size > capacity(h.inode_table_depth):
        problems.append(f"inode table depth {h.inode_table_depth}")
    if any(h.reserved1) or any(h.reserved2) or any(slot.raw[MAC_OFFSET + MAC_SIZE:]):
        problems.append("reserved bytes set")
    if problems:
        raise IntegrityError(f"{path}: bad volume header: {'; '.join(problems)}")


def check_ptr(path: Path, ptr: BlockPtr, block_count: int, where: str) -> None:
    if ptr.is_hole:
        if any(ptr.nonce) or any(ptr.tag):
            raise IntegrityError(f"{path}: corrupt block pointer in {where}")
        return
    if not FIRST_DATA_BLOCK <= ptr.block < block_count:
        raise IntegrityError(f"{path}: block pointer {ptr.block} outside the volume in {where}")


# -- objects -----------------------------------------------------------------------


@dataclass
class Obj:
    """One object's tree as the store sees it: root, depth, size, and what
    is loaded or changed. Nodes are keyed (level, index): the node of level
    k with index j covers data blocks [j*128^k, (j+1)*128^k)."""

    number: int
    root: BlockPtr
    depth: int
    size: int
    blocks: int
    nodes: dict[tuple[int, int], bytearray] = field(default_factory=dict)
    dirty_nodes: set[tuple[int, int]] = field(default_factory=set)
    dirty_data: dict[int, bytes] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.dirty_nodes or self.dirty_data)


class Volume:
    """An open volume. Use `open_volume`."""

    def __init__(self, path: Path, fd: int, keys: VolumeKeys, slot: Slot, writable: bool):
        self.path = path
        self._fd = fd
        self.keys = keys
        self.slot = slot
        self.header = slot.header
        self.writable = writable
        self.objects: dict[int, Obj] = {}
        self.inodes: list[Inode] = []
        self.dirty_inodes: set[int] = set()
        self.used: set[int] = set()
        self.fresh: set[int] = set()
        self.pending_free: set[int] = set()
        self._cursor = FIRST_DATA_BLOCK
        self._counter = 0
        self._table = Obj(TABLE, self.header.inode_table_root, self.header.inode_table_depth,
                          self.header.inode_table_size, 0)

    # -- life cycle ------------------------------------------------------------------

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "Volume":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> StateId:
        return self.slot.state

    @property
    def free_blocks(self) -> int:
        return self.header.block_count - FIRST_DATA_BLOCK - len(self.used)

    # -- step 3: authenticated blocks ------------------------------------------------

    def load(self, ptr: BlockPtr, where: str) -> bytes:
        check_ptr(self.path, ptr, self.header.block_count, where)
        if ptr.is_hole:
            return bytes(BLOCK_SIZE)
        cipher = _pread(self._fd, ptr.block * BLOCK_SIZE, BLOCK_SIZE, self.path)
        plain = self.keys.decrypt(ptr.nonce, cipher, ptr.tag)
        if plain is None:
            raise IntegrityError(f"{self.path}: block {ptr.block} ({where}) failed authentication: "
                                 "the volume was tampered with")
        return plain

    # -- trees -------------------------------------------------------------------------

    def _ptr_of(self, obj: Obj, level: int, index: int) -> BlockPtr:
        """The pointer naming the level-`level` block with this index."""
        if level == obj.depth:
            return obj.root if index == 0 else HOLE
        parent = self._node(obj, level + 1, index // FANOUT)
        return BlockPtr.unpack(parent, (index % FANOUT) * PTR_SIZE)

    def _set_ptr(self, obj: Obj, level: int, index: int, ptr: BlockPtr) -> None:
        if level == obj.depth:
            assert index == 0
            obj.root = ptr
            return
        key = (level + 1, index // FANOUT)
        parent = self._node(obj, *key)
        at = (index % FANOUT) * PTR_SIZE
        parent[at:at + PTR_SIZE] = ptr.pack()
        self._dirty_path(obj, *key)

    def _dirty_path(self, obj: Obj, level: int, index: int) -> None:
        """A node changed: it and every node above it will be rewritten."""
        while level <= obj.depth:
            self._node(obj, level, index)
            obj.dirty_nodes.add((level, index))
            level, index = level + 1, index // FANOUT

    def _node(self, obj: Obj, level: int, index: int) -> bytearray:
        key = (level, index)
        node = obj.nodes.get(key)
        if node is None:
            ptr = self._ptr_of(obj, level, index)
            node = bytearray(self.load(ptr, f"object {obj.number} node {level}/{index}"))
            obj.nodes[key] = node
        return node

    def read_block(self, obj: Obj, index: int) -> bytes:
        if index in obj.dirty_data:
            return obj.dirty_data[index]
        if index * BLOCK_SIZE >= capacity(obj.depth):
            return bytes(BLOCK_SIZE)
        return self.load(self._ptr_of(obj, 0, index), f"object {obj.number} block {index}")

    def read_all(self, obj: Obj) -> bytes:
        count = (obj.size + BLOCK_SIZE - 1) // BLOCK_SIZE
        data = b"".join(self.read_block(obj, i) for i in range(count))
        return data[:obj.size]

    def _exists(self, obj: Obj, level: int, index: int) -> bool:
        """Is there a block (on disk or only in memory yet) at this place?"""
        if level > obj.depth or (level == obj.depth and index != 0):
            return False
        if (level == 0 and index in obj.dirty_data) or (level, index) in obj.dirty_nodes:
            return True
        return not self._ptr_of(obj, level, index).is_hole

    def _children(self, obj: Obj, level: int, index: int):
        """The places under an existing node that hold a block."""
        node = self._node(obj, level, index)
        for i in range(FANOUT):
            child = index * FANOUT + i
            ptr = BlockPtr.unpack(node, i * PTR_SIZE)
            check_ptr(self.path, ptr, self.header.block_count, f"object {obj.number} node {level}/{index}")
            if not ptr.is_hole or self._exists(obj, level - 1, child):
                yield child

    def walk(self, obj: Obj, level: int | None = None, index: int = 0):
        """Every place of obj's tree that holds a block: (level, index, ptr);
        ptr is a hole for blocks that exist only in memory so far."""
        level = obj.depth if level is None else level
        if not self._exists(obj, level, index):
            return
        yield level, index, self._ptr_of(obj, level, index)
        if level > 0:
            for child in list(self._children(obj, level, index)):
                yield from self.walk(obj, level - 1, child)

    # -- inodes ------------------------------------------------------------------------

    def inode(self, ino: int) -> Inode:
        if not 1 <= ino < len(self.inodes) or self.inodes[ino].is_free:
            raise IntegrityError(f"{self.path}: inode {ino} does not exist")
        return self.inodes[ino]

    def obj(self, ino: int) -> Obj:
        if ino == TABLE:
            return self._table
        found = self.objects.get(ino)
        if found is None:
            inode = self.inode(ino)
            found = Obj(ino, inode.root, inode.depth, inode.size, inode.blocks)
            self.objects[ino] = found
        return found

    def _load_inodes(self) -> None:
        table = self.read_all(self._table)
        self.inodes = [Inode.unpack(table, i * INODE_SIZE) for i in range(len(table) // INODE_SIZE)]
        if self.inodes[0] != FREE_INODE:
            raise IntegrityError(f"{self.path}: inode slot 0 is in use")
        if self.inodes[ROOT_INO].dtype != 4:
            raise IntegrityError(f"{self.path}: inode 1 is not a directory")

    def check_inode(self, ino: int, inode: Inode) -> None:
        problems = []
        if inode.is_free:
            if inode != FREE_INODE:
                problems.append("free slot not zero")
        else:
            if dtype_for_mode(inode.mode) is None or inode.mode & ~0o177777:
                problems.append(f"mode {inode.mode:o}")
            if inode.depth > MAX_DEPTH or inode.size > capacity(inode.depth):
                problems.append(f"size {inode.size} at depth {inode.depth}")
            if max(inode.atime_nsec, inode.mtime_nsec, inode.ctime_nsec) >= 10**9:
                problems.append("nanoseconds out of range")
            if any(inode.reserved1) or any(inode.reserved2):
                problems.append("reserved bytes set")
            if inode.dtype == 4 and inode.size % BLOCK_SIZE:
                problems.append(f"directory size {inode.size}")
            if inode.dtype == 10 and not (1 <= inode.size < BLOCK_SIZE and inode.depth == 0):
                problems.append(f"symlink size {inode.size}")
            if (inode.dtype == 4) != (inode.parent != 0) or inode.parent >= len(self.inodes):
                problems.append(f"parent {inode.parent}")
        if problems:
            raise IntegrityError(f"{self.path}: corrupt inode {ino}: {'; '.join(problems)}")

    # -- step 4: the walk of all metadata ---------------------------------------------

    def _walk(self) -> None:
        """Authenticate every node and inode-table block; learn used blocks."""
        self._load_inodes()
        self._account(self._table, self.header.inode_table_size)
        live = 0
        for ino in range(1, len(self.inodes)):
            inode = self.inodes[ino]
            self.check_inode(ino, inode)
            if inode.is_free:
                continue
            live += 1
            obj = Obj(ino, inode.root, inode.depth, inode.size, inode.blocks)
            if self._account(obj, inode.size) != inode.blocks:
                raise IntegrityError(f"{self.path}: inode {ino} says {inode.blocks} blocks, its tree has more or fewer")
        if len(self.used) != self.header.used_blocks or live != self.header.inode_count:
            raise IntegrityError(
                f"{self.path}: the header counts {self.header.used_blocks} blocks and "
                f"{self.header.inode_count} inodes, the volume holds {len(self.used)} and {live}")

    def _account(self, obj: Obj, size: int) -> int:
        count = 0
        for level, index, ptr in self.walk(obj):
            if ptr.is_hole:
                raise IntegrityError(f"{self.path}: object {obj.number}: a hole inside its tree")
            first_byte = index * capacity(level)
            if first_byte >= size:
                raise IntegrityError(f"{self.path}: object {obj.number} has a block past its end")
            if ptr.block in self.used:
                raise IntegrityError(f"{self.path}: block {ptr.block} is used twice")
            self.used.add(ptr.block)
            count += 1
        return count

    # -- writing -----------------------------------------------------------------------

    def _alloc(self) -> int:
        total = self.header.block_count
        for _ in range(total - FIRST_DATA_BLOCK):
            block = self._cursor
            self._cursor = block + 1 if block + 1 < total else FIRST_DATA_BLOCK
            if block not in self.used:
                self.used.add(block)
                self.fresh.add(block)
                return block
        raise NoSpace(f"{self.path}: the volume is full")

    def _release(self, ptr: BlockPtr) -> None:
        """ptr's block is no longer in the new state."""
        if ptr.is_hole:
            return
        if ptr.block in self.fresh:
            self.fresh.discard(ptr.block)
            self.used.discard(ptr.block)
        else:
            self.pending_free.add(ptr.block)

    def _store(self, obj: Obj, old: BlockPtr, plain: bytes) -> BlockPtr:
        """Write plain copy-on-write; returns the pointer that names it."""
        if not old.is_hole and old.block in self.fresh:
            block = old.block  # written since the last commit: not in any state
        else:
            block = self._alloc()
            if old.is_hole:
                obj.blocks += 1
            else:
                self.pending_free.add(old.block)
        nonce_bytes = nonce(self.header.epoch, self._counter)
        self._counter += 1
        cipher, tag = self.keys.encrypt(nonce_bytes, plain)
        try:
            os.pwrite(self._fd, cipher, block * BLOCK_SIZE)
        except OSError as e:
            raise CvmifyIOError(f"{self.path}: {e}") from e
        return BlockPtr(block, nonce_bytes, tag)

    def _grow(self, obj: Obj, size: int) -> None:
        while capacity(obj.depth) < size:
            if obj.depth == MAX_DEPTH:
                raise NoSpace(f"{self.path}: object {obj.number} would exceed 1 TiB")
            if not self._exists(obj, obj.depth, 0):  # nothing to hang below a new top
                obj.depth += 1
                continue
            top = bytearray(BLOCK_SIZE)
            top[0:PTR_SIZE] = obj.root.pack()
            obj.depth += 1
            obj.root = HOLE
            obj.nodes[(obj.depth, 0)] = top
            obj.dirty_nodes.add((obj.depth, 0))

    def write_content(self, obj: Obj, data: bytes) -> None:
        """Replace obj's whole content with data (blocks that stay equal are kept)."""
        self._require_writable()
        new_count = (len(data) + BLOCK_SIZE - 1) // BLOCK_SIZE
        self._grow(obj, len(data))
        for i in range(new_count):
            block = data[i * BLOCK_SIZE:(i + 1) * BLOCK_SIZE].ljust(BLOCK_SIZE, b"\0")
            if self.read_block(obj, i) != block:
                obj.dirty_data[i] = block
                if obj.depth > 0:
                    self._dirty_path(obj, 1, i // FANOUT)
        self._shrink(obj, len(data))
        obj.size = len(data)

    def _shrink(self, obj: Obj, size: int) -> None:
        """Punch every block wholly at or past size."""
        self._punch_from(obj, obj.depth, 0, size)
        if size == 0:
            obj.root, obj.depth = HOLE, 0
            obj.nodes.clear()
            obj.dirty_nodes.clear()

    def _punch_from(self, obj: Obj, level: int, index: int, size: int) -> None:
        if not self._exists(obj, level, index):
            return
        if index * capacity(level) >= size:
            for sub_level, sub_index, ptr in list(self.walk(obj, level, index)):
                if not ptr.is_hole:
                    self._release(ptr)
                    obj.blocks -= 1
                obj.nodes.pop((sub_level, sub_index), None)
                obj.dirty_nodes.discard((sub_level, sub_index))
                if sub_level == 0:
                    obj.dirty_data.pop(sub_index, None)
            self._set_ptr(obj, level, index, HOLE)
        elif level > 0:
            for child in list(self._children(obj, level, index)):
                self._punch_from(obj, level - 1, child, size)

    def _flush_object(self, obj: Obj) -> None:
        for index in sorted(obj.dirty_data):
            self._set_ptr(obj, 0, index, self._store(obj, self._ptr_of(obj, 0, index), obj.dirty_data[index]))
        obj.dirty_data.clear()
        for level in range(1, obj.depth + 1):
            for key in sorted(k for k in obj.dirty_nodes if k[0] == level):
                obj.dirty_nodes.discard(key)
                ptr = self._store(obj, self._ptr_of(obj, *key), bytes(obj.nodes[key]))
                self._set_ptr(obj, level, key[1], ptr)
        assert not obj.dirty_nodes

    def set_inode(self, ino: int, inode: Inode) -> None:
        self._require_writable()
        self.inodes[ino] = inode
        self.dirty_inodes.add(ino)

    def alloc_inode(self, inode: Inode) -> int:
        self._require_writable()
        for ino in range(ROOT_INO + 1, len(self.inodes)):
            if self.inodes[ino].is_free:
                break
        else:
            ino = len(self.inodes)
            if ino + INODES_PER_BLOCK > MAX_INODES:
                raise NoSpace(f"{self.path}: no inode left")
            self.inodes.extend([FREE_INODE] * INODES_PER_BLOCK)
        self.objects.pop(ino, None)
        self.set_inode(ino, inode)
        return ino

    def free_inode(self, ino: int) -> None:
        self._require_writable()
        self._shrink(self.obj(ino), 0)
        self.objects.pop(ino, None)
        self.set_inode(ino, FREE_INODE)

    def commit(self, flags: int | None = None) -> StateId:
        """Write everything changed, flush, switch the header, flush."""
        self._require_writable()
        for ino, obj in sorted(self.objects.items()):
            if obj.changed:
                self._flush_object(obj)
            inode = self.inodes[ino]
            if not inode.is_free and (obj.root, obj.depth, obj.size, obj.blocks) != (
                    inode.root, inode.depth, inode.size, inode.blocks):
                self.set_inode(ino, inode.evolve(root=obj.root, depth=obj.depth, size=obj.size, blocks=obj.blocks))
        self.objects = {ino: o for ino, o in self.objects.items() if not self.inodes[ino].is_free}
        if self.dirty_inodes:
            table = self._table
            self._grow(table, len(self.inodes) * INODE_SIZE)
            table.size = len(self.inodes) * INODE_SIZE
            for block in sorted({ino // INODES_PER_BLOCK for ino in self.dirty_inodes}):
                first = block * INODES_PER_BLOCK
                table.dirty_data[block] = b"".join(i.pack() for i in self.inodes[first:first + INODES_PER_BLOCK])
            self.dirty_inodes.clear()
            self._flush_object(table)
        header = self.header.evolve(
            generation=self.header.generation + 1,
            flags=self.header.flags if flags is None else flags,
            inode_table_size=self._table.size, inode_table_root=self._table.root,
            inode_table_depth=self._table.depth,
            used_blocks=len(self.used) - len(self.pending_free),
            inode_count=sum(1 for i in self.inodes if not i.is_free),
        )
        self._switch(header)
        self.used -= self.pending_free
        self.pending_free.clear()
        self.fresh.clear()
        return self.state

    def _switch(self, header: Header) -> None:
        body = header.pack_body()
        slot = (body + self.keys.mac(body)).ljust(BLOCK_SIZE, b"\0")
        index = header_slot(header.generation)
        try:
            os.fdatasync(self._fd)
            os.pwrite(self._fd, slot, index * BLOCK_SIZE)
            os.fdatasync(self._fd)
        except OSError as e:
            raise CvmifyIOError(f"{self.path}: {e}") from e
        self.slot = Slot(index, slot[:HEADER_SIZE], header)
        self.header = header

    def _require_writable(self) -> None:
        if not self.writable:
            raise VolumeError(f"{self.path}: opened read-only")

    def reserve_epoch(self) -> None:
        """The first commit of a writer: the next epoch, nothing else."""
        self._switch(self.header.evolve(generation=self.header.generation + 1,
                                        epoch=self.header.epoch + 1))
        self._counter = 0


def open_volume(path: Path, key: bytes, expected: StateId | None = None,
                writable: bool = False) -> Volume:
    """Open and check a volume file (docs/volume-format.md, "Reader
    obligations"). Writable: the whole metadata walk, then the epoch
    reservation commit."""
    try:
        fd = os.open(path, os.O_RDWR if writable else os.O_RDONLY)
    except FileNotFoundError:
        raise VolumeError(f"{path}: no such volume file") from None
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e}") from e
    try:
        size = os.fstat(fd).st_size
        slots = [s for s in read_slots(path, fd, None)
                 if VolumeKeys.derive(key, s.header.uuid).mac_ok(s.raw)]
        if len({s.header.uuid for s in slots}) > 1:
            raise IntegrityError(f"{path}: the header slots name two different volumes")
        slot = pick_state(path, slots, expected)
        check_header(path, slot, size)
        keys = VolumeKeys.derive(key, slot.header.uuid)
        volume = Volume(path, fd, keys, slot, writable)
        volume._walk()
        if writable:
            volume.reserve_epoch()
        return volume
    except BaseException:
        os.close(fd)
        raise
