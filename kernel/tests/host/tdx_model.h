/*
 * tdx_model.h: a model of the TDX module and a hostile VMM for the host
 * tests of platform/tdx/. It replaces tdcall.S: tdx_tdcall/tdx_vmcall
 * record every call, check the register conventions of the TDX Module
 * ABI and GHCI specs (each violation counted), and answer as the test
 * told them to, including statuses and data no honest host would send.
 */
#ifndef CVMIFY_TESTS_HOST_TDX_MODEL_H
#define CVMIFY_TESTS_HOST_TDX_MODEL_H

#include "platform/tdx/tdcall.h"

#define MODEL_MAX_CALLS 1024
#define MODEL_MAX_RETRIES 4

struct model_call {
    u64 leaf;            /* TDCALL leaf (0 = TDG.VP.VMCALL) */
    struct tdx_regs in;  /* registers as the guest passed them */
    u8 extend_data[48];  /* TDG.MR.RTMR.EXTEND: the bytes at RCX */
    u8 reportdata[64];   /* TDG.MR.REPORT: the bytes at RDX */
};

struct tdx_model {
    /* What the model answers. */
    u64 gpaw;                 /* TDG.VP.INFO RCX[5:0] */
    u64 tdcall_status;        /* RAX for leaves other than VMCALL */
    u64 vmcall_status;        /* R10 of every VMCALL... */
    u64 vmcall_r11;           /* ...and R11 */
    u64 vmcall_out[4];        /* R12..R15 of Instruction.CPUID */
    u64 quote_status;         /* GetQuote: what the host writes back */
    u32 quote_out_len;
    u32 ve_exit_reason;       /* TDG.VP.VEINFO.GET: RCX */
    u64 ve_qualification;     /* RDX */
    u64 ve_length;            /* R10 (instruction length) */
    bool refuse_2m;           /* PAGE.ACCEPT: refuse level 1 (2 MiB) */
    u64 refuse_accept_gpa;    /* PAGE.ACCEPT: refuse this 4 KiB page (0: none) */
    int retry_count;          /* MapGPA: answer RETRY this many times first, */
    u64 retry_gpa[MODEL_MAX_RETRIES]; /* with these R11 values */

    /* What the model saw. */
    int ncalls;
    struct model_call calls[MODEL_MAX_CALLS];
    int convention_errors;    /* register-convention violations */
};

extern struct tdx_model g_model;

/* Reset to an honest host with GPAW 48. */
void model_reset(void);

/* The index-th call with this leaf (and, for VMCALL, sub-function), or
 * NULL. */
const struct model_call *model_find(u64 leaf, u64 subfn, int index);
int model_count(u64 leaf, u64 subfn);

#endif
