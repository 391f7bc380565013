/*
 * layout.h: the fixed layout of td.fd's boot firmware volume (BFV), shared
 * by the reset-vector stub (tdboot/reset.S), the kernel's TD entry
 * (platform/tdx/td_entry.S, tdvf.c) and, by value, the bundle builder
 * (cvmify/tdx/tdvf.py; docs/tdx.md draws the whole image).
 *
 * The BFV is the last 4 KiB of td.fd, mapped at 4 GiB - 4 KiB in both a
 * TD and a plain q35 VM. The stub's code comes first; the builder writes
 * the TDVF descriptor and the OVMF GUIDed table into the data area; the
 * reset vector is the last 16 bytes. Everything in it is measured (MRTD).
 */
#ifndef CVMIFY_TDBOOT_LAYOUT_H
#define CVMIFY_TDBOOT_LAYOUT_H

#define TD_BFV_SIZE 0x1000
#define TD_BFV_BASE 0xfffff000
/* [TD_BFV_DATA_OFFSET, TD_RESET_OFFSET): written by the builder, zero in
 * the stub. The descriptor's GUID is at its start, the descriptor 16
 * bytes later; the GUIDed table ends 48 bytes before the end. */
#define TD_BFV_DATA_OFFSET 0xc00
#define TD_BFV_DATA_SIZE 0x3f0
#define TD_DESCRIPTOR_OFFSET 0xc10
#define TD_RESET_OFFSET 0xff0

/* The kernel's TD entry: the first byte of its image (kernel.ld). */
#define TD_KERNEL_ENTRY 0x100000

/* %edi at the kernel's TD entry: how the stub was entered. */
#define TD_BOOT_TDX 1 /* 32-bit protected mode at reset: a TD */
#define TD_BOOT_VM 2  /* 16-bit real mode at reset: a plain VM */

/* TDVF descriptor ("TDVF", length, version 1, count, then 32-byte
 * sections: DataOffset, RawDataSize, MemoryAddress, MemoryDataSize,
 * Type, Attributes). */
#define TDVF_SIGNATURE 0x46564454
#define TDVF_HEADER_SIZE 16
#define TDVF_SECTION_SIZE 32
#define TDVF_MAX_SECTIONS 8
#define TDVF_TYPE_BFV 0
#define TDVF_TYPE_CFV 1
#define TDVF_TYPE_TD_HOB 2
#define TDVF_TYPE_TEMP_MEM 3
#define TDVF_ATTR_MR_EXTEND 1

/* isa-debug-exit value the stub writes when the image is malformed:
 * the same as a kernel panic (QEMU exits 65). */
#define TD_STUB_PANIC 0x20

#endif
