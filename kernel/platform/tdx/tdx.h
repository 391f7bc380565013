/*
 * tdx.h: the TDX backend's internal interface, shared by the files of
 * platform/tdx/ only (nothing outside platform/tdx includes it; the host
 * model in tests/host/test_tdx.c does, to test them).
 *
 * Every TDG.VP.VMCALL goes through vmcall.c, which checks what the host
 * returns (status in R10, data in R11) in one place. Functions return 0
 * or -errno; a host that refuses or lies is handled, never trusted.
 */
#ifndef CVMIFY_PLATFORM_TDX_TDX_H
#define CVMIFY_PLATFORM_TDX_TDX_H

#include "lib/types.h"

/* GHCI 1.5 section 3 sub-function numbers (R11 of TDG.VP.VMCALL).
 * Numbers below 0x10000 are the VMX exit reasons of the emulated
 * instruction; 0x10000 and up are TDX-specific. */
#define TDVMCALL_INSTRUCTION_CPUID 10     /* Instruction.CPUID */
#define TDVMCALL_INSTRUCTION_HLT 12       /* Instruction.HLT */
#define TDVMCALL_INSTRUCTION_IO 30        /* GHCI 3.9 Instruction.IO */
#define TDVMCALL_INSTRUCTION_RDMSR 31     /* Instruction.RDMSR */
#define TDVMCALL_INSTRUCTION_WRMSR 32     /* Instruction.WRMSR */
#define TDVMCALL_REQUEST_MMIO 48          /* GHCI 3.7 #VE.RequestMMIO */
#define TDVMCALL_MAP_GPA 0x10001          /* GHCI 3.2 MapGPA */
#define TDVMCALL_GET_QUOTE 0x10002       /* GHCI 3.3 GetQuote */
#define TDVMCALL_REPORT_FATAL_ERROR 0x10003 /* GHCI 3.4 ReportFatalError */

/* TDG.VP.VMCALL status codes in R10 (GHCI 2.4.1, status code table). */
#define TDVMCALL_STATUS_SUCCESS 0x0ULL
#define TDVMCALL_STATUS_RETRY 0x1ULL
#define TDVMCALL_STATUS_INVALID_OPERAND 0x8000000000000000ULL
#define TDVMCALL_STATUS_GPA_INUSE 0x8000000000000001ULL
#define TDVMCALL_STATUS_ALIGN_ERROR 0x8000000000000002ULL

/* Instruction.IO / #VE.RequestMMIO direction in R13. */
#define TDVMCALL_DIR_READ 0
#define TDVMCALL_DIR_WRITE 1

/* ---- vmcall.c: the checked VMCALLs ---- */

/* Port I/O of size 1, 2 or 4 bytes. A read's value is masked to size;
 * on a refused call *value is all ones (like a floating bus). */
int tdx_io_read(u16 port, unsigned size, u32 *value);
int tdx_io_write(u16 port, unsigned size, u32 value);

/* MMIO of size 1, 2, 4 or 8 bytes at gpa (shared bit included). */
int tdx_mmio_read(u64 gpa, unsigned size, u64 *value);
int tdx_mmio_write(u64 gpa, unsigned size, u64 value);

/* Convert [gpa, gpa + size) to shared (gpa has the shared bit) or back
 * to private (no shared bit). Page-aligned; follows RETRY answers only
 * forward inside the range. */
int tdx_map_gpa(u64 gpa, u64 size);

/* Instruction.CPUID: R12 = leaf, R13 = subleaf; EAX..EDX from R12..R15,
 * each cut to 32 bits. 0 or -EIO. */
int tdx_cpuid_vmcall(u32 leaf, u32 subleaf, u32 out[4]);

/* Instruction.HLT: R12 = 1 if interrupts were blocked. 0 or -EIO. */
int tdx_hlt_vmcall(bool interrupts_blocked);

/* Instruction.RDMSR (R12 = index, value in R11) / WRMSR (R13 = value). */
int tdx_rdmsr_vmcall(u32 msr, u64 *value);
int tdx_wrmsr_vmcall(u32 msr, u64 value);

/* GetQuote (GHCI): ask the host to quote the TDREPORT in the shared
 * buffer at gpa (shared bit set) of size bytes. 0 if the request was
 * taken; the answer arrives in the buffer later (quote.c polls it). */
int tdx_get_quote_vmcall(u64 gpa, u64 size);

/* Tell the VMM the TD hit a fatal error (code in R12[31:0]). Returns if
 * the VMM lets the TD run on. */
void tdx_report_fatal_error(u32 code);

/* How many host answers were refused (bad status, bad RETRY address). */
u64 tdx_vmcall_refused_count(void);

/* ---- info.c: TDG.VP.INFO ---- */

/* Read GPAW once (TDG.VP.INFO) and derive the shared bit. Panics if the
 * TDX module reports a width other than 48 or 52. */
void tdx_info_init(void);

/* The GPA shared bit: 1 << (GPAW - 1); calls tdx_info_init the first
 * time if nobody did. */
u64 tdx_shared_bit(void);

/* ---- attest.c: measurement and report ---- */

#define TDX_RTMR_INDEX_APP 2        /* RTMR[2]: our config and disk root */
#define TDX_DIGEST_SIZE 48          /* SHA-384 */
#define TDX_REPORTDATA_SIZE 64
#define TDX_REPORT_SIZE 1024        /* TDREPORT_STRUCT */

/* TDG.MR.RTMR.EXTEND of a 48-byte digest into RTMR[index]. 0 or -EIO. */
int tdx_rtmr_extend(unsigned index, const u8 digest[TDX_DIGEST_SIZE]);

/* TDG.MR.REPORT: the TDREPORT_STRUCT binding reportdata. 0 or -EIO. */
int tdx_get_report(const u8 reportdata[TDX_REPORTDATA_SIZE], u8 report[TDX_REPORT_SIZE]);

/* ---- mode.c: TD or plain VM (docs/tdx.md, "Two ways in") ---- */

/* True when td.fd's stub was entered as a TD; false in a plain VM, where
 * every primitive falls back to the plain-VM instruction. */
bool tdx_active(void);

/* Check the boot mode; in a TD also CPUID 0x21 ("IntelTDX    "). */
void tdx_mode_check(void);

/* ---- tdvf.c: td.fd's measured TDVF descriptor ---- */

struct td_section {
    u64 address;
    u64 size;      /* MemoryDataSize */
    u32 raw_size;
    u32 type;      /* TDVF_TYPE_* (tdboot/layout.h) */
    u32 attributes;
};

/* Parse the descriptor (once; panics on garbage). */
void tdvf_init(void);

/* The first section of `type` that is not the boot stub, or NULL. */
const struct td_section *tdvf_section(u32 type);

/* True if [base, base + size) touches any section (stub, kernel, config,
 * TempMem, HOB): memory the host already added, never to be accepted. */
bool tdvf_overlaps(u64 base, u64 size);

/* ---- accept.c: TDG.MEM.PAGE.ACCEPT ---- */

/* Accept one page (4 KiB, or 2 MiB if huge). 0 or -1 (refused). */
int tdx_accept_page(u64 gpa, bool huge);

/* Accept [base, end), skipping td.fd's own sections. 0 or -1. */
int tdx_accept_range(u64 base, u64 end);

/* ---- eventlog.c, sim.c, measure_td.c: measurements ---- */

/* Record an extend of RTMR[rtmr] in the CCEL-style event log. */
void td_eventlog_append(unsigned rtmr, u32 type, const u8 digest[TDX_DIGEST_SIZE], const char *data);

/* The log so far (Spec ID event first). */
const u8 *td_eventlog(size_t *size);

/* The simulated module of a plain VM (sim.c). */
void sim_rtmr_extend(unsigned index, const u8 digest[TDX_DIGEST_SIZE]);
void sim_report(const u8 reportdata[TDX_REPORTDATA_SIZE], u8 report[TDX_REPORT_SIZE]);

/* A TDREPORT binding reportdata: TDG.MR.REPORT in a TD, sim_report in a VM. */
void td_report(const u8 reportdata[TDX_REPORTDATA_SIZE], u8 report[TDX_REPORT_SIZE]);

/* ---- shared.c ---- */

/* Base of the virtual window where shared pages are mapped with the
 * shared bit: VA = g_tdx_shared_window + pa. Inside the kernel's top
 * PML4 slot (511), which every address space already shares, so new
 * mappings are visible everywhere. A variable so the host model can
 * point it at ordinary memory. */
extern u64 g_tdx_shared_window;

#endif
