"""Test helpers for the launcher and CLI: a tiny PVH stub guest and a bundle around it.

The stub is a few lines of 32-bit assembly with a PVH ELF note. It speaks
the guest side of docs/boot-config.md just enough to exercise the real
QEMU and the real runner: it can echo one line of COM1 input, writes given
text to COM1 (stdout), COM2 (stderr) and COM3 (kernel log) and given
bytes (control frames) to COM4, then powers off through isa-debug-exit
with a given value, or triple-faults, or halts forever.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cvmify.bundle import BLOCK_SIZE, BundleWriter, DiskSummary, ImageInfo

STUB_ASM = r"""
	.section .note.pvh, "a"
	.balign 4
	.long 4
	.long 4
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	mov $ECHO, %eax
	test %eax, %eax
	jz 3f
4:	mov $0x3fd, %dx         /* COM1 line status: wait for a byte */
	in %dx, %al
	test $1, %al
	jz 4b
	mov $0x3f8, %dx
	in %dx, %al
	out %al, %dx
	cmp $10, %al
	jne 4b
3:	mov $msg1, %esi
	mov $0x3f8, %dx
	call puts
	mov $msg2, %esi
	mov $0x2f8, %dx
	call puts
	mov $msg3, %esi
	mov $0x3e8, %dx
	call puts
	mov $ctl, %esi
	mov $CTLLEN, %ecx
	mov $0x2e0, %dx
	call putn
	mov $EXITVAL, %eax
	cmp $0x100, %eax
	je 1f
	cmp $0x200, %eax
	je 2f
	mov $0xf4, %dx
	out %al, %dx
1:	hlt
	jmp 1b
2:	lidt zero_idt           /* triple fault: no IDT, then a trap */
	ud2
puts:
	lodsb
	test %al, %al
	jz 5f
	out %al, %dx
	jmp puts
5:	ret
putn:                           /* ecx bytes from esi (may be 0) */
	test %ecx, %ecx
	jz 6f
	lodsb
	out %al, %dx
	dec %ecx
	jmp putn
6:	ret

	.data
zero_idt: .word 0
	.long 0
msg1: .asciz "COM1"
msg2: .asciz "COM2"
msg3: .asciz "COM3"
ctl: .byte 0CTLBYTES
"""

STUB_LD = """
ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .text : { *(.text) }
  .data : { *(.data) }
  .note : { *(.note.pvh) }
}
"""

def exit_frame(status: int) -> bytes:
    """The control message the kernel sends when the app exits."""
    from cvmify.launch.control import EXIT, encode

    return encode(EXIT, status.to_bytes(4, "little"))


WRITE_APP_EXIT = 0x10  # QEMU exits 33
WRITE_PANIC_EXIT = 0x20  # QEMU exits 65
HANG = 0x100
TRIPLE_FAULT = 0x200


def _asm_string(text: str) -> str:
    """`text` (Latin-1, no NUL) inside an assembler string literal."""
    return "".join(c if " " <= c < "\x7f" and c not in '"\\' else f"\\{ord(c):03o}" for c in text)


def build_stub_kernel(
    directory: Path,
    com1: str = "",
    com2: str = "",
    com3: str = "",
    exit_value: int = WRITE_APP_EXIT,
    echo: bool = False,
    name: str = "stub",
    control: bytes = b"",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    source = STUB_ASM
    for port, text in (("COM1", com1), ("COM2", com2), ("COM3", com3)):
        source = source.replace(f'"{port}"', f'"{_asm_string(text)}"')
    source = source.replace("$ECHO", f"${int(echo)}").replace("$EXITVAL", f"${exit_value:#x}")
    source = source.replace("$CTLLEN", f"${len(control)}")
    source = source.replace("0CTLBYTES", "".join(f"{b:#x}, " for b in control) + "0")
    (directory / f"{name}.S").write_text(source)
    (directory / "stub.ld").write_text(STUB_LD)
    obj, elf = directory / f"{name}.o", directory / f"{name}.elf"
    subprocess.run(["gcc", "-m32", "-c", str(directory / f"{name}.S"), "-o", str(obj)], check=True)
    subprocess.run(
        ["ld", "-m", "elf_i386", "--no-warn-rwx-segments", "-T", str(directory / "stub.ld"), "-o", str(elf), str(obj)],
        check=True,
    )
    return elf


def make_bundle(
    target: Path,
    kernel: Path,
    allow_host_argv: bool = False,
    allow_host_env: tuple[str, ...] = (),
    key: bytes = bytes(range(32)),
    manifest_extra: str = "",
) -> Path:
    """A structurally valid bundle around `kernel` (the disk is a placeholder:
    the stub never reads it)."""
    from cvmify.manifest.bootconfig import BootConfig, encode

    root = bytes(range(48))
    config = encode(
        BootConfig(
            entrypoint="/hello", argv=["/hello"], env=[], cwd="/", uid=0, gid=0, disk_root=root,
            tmpfs=["/tmp"], allow_host_argv=allow_host_argv, allow_host_env=list(allow_host_env),
        )
    )
    with BundleWriter(target) as w:
        w.copy_file("kernel.elf", kernel)
        w.write_bytes("config.bin", config)
        w.write_bytes("manifest.toml", b'[libos]\nentrypoint = "/hello"\n' + manifest_extra.encode())
        w.write_bytes("rootfs.img", bytes(BLOCK_SIZE * 2))
        w.write_bytes("measurements.json", json.dumps({"format": "placeholder"}).encode())
        w.write_key(key)
        w.commit(0, ImageInfo("docker-daemon:fake:latest", "sha256:" + "0" * 64, None, "linux/amd64"),
                 DiskSummary(BLOCK_SIZE, 1, root))
    return target
