/*
 * vdso_image.S: the vDSO shared object (built from vdso/ by the Makefile)
 * as bytes in .rodata, between vdso_image_start and vdso_image_end.
 */
    .section .rodata
    .balign 4096
    .globl vdso_image_start
vdso_image_start:
    .incbin VDSO_SO
    .globl vdso_image_end
vdso_image_end:
    .balign 4096
    .section .note.GNU-stack, "", @progbits
