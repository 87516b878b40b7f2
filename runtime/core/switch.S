/* core/switch.S: fiber context switch for x86-64 (System V) and aarch64
 * (AAPCS64). actri_ctx_switch(void **save_sp, void *new_sp) pushes the
 * callee-saved registers on the current stack, stores the stack pointer in
 * *save_sp, loads new_sp and pops the registers saved there. A new fiber's
 * stack is prepared by actri_fiber_init (fiber.c) so that the first switch
 * "returns" into actri_ctx_entry with fn and arg in callee-saved registers.
 * Keep the frame layout in sync with fiber.c. */

#if defined(__x86_64__)
        .text
        .globl  actri_ctx_switch
        .hidden actri_ctx_switch
        .type   actri_ctx_switch, @function
        .p2align 4
actri_ctx_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)          /* SSE control/status: callee-saved bits */
        fnstcw  4(%rsp)         /* x87 control word: callee-saved */
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   actri_ctx_switch, .-actri_ctx_switch

        .globl  actri_ctx_entry
        .hidden actri_ctx_entry
        .type   actri_ctx_entry, @function
        .p2align 4
actri_ctx_entry:
        .cfi_startproc
        .cfi_undefined rip      /* outermost frame for unwinders */
        movq    %r12, %rdi      /* arg */
        xorl    %ebp, %ebp
        callq   *%r13           /* entry(arg); never returns */
        ud2
        .cfi_endproc
        .size   actri_ctx_entry, .-actri_ctx_entry

#elif defined(__aarch64__)
        .text
        .globl  actri_ctx_switch
        .hidden actri_ctx_switch
        .type   actri_ctx_switch, %function
        .p2align 4
actri_ctx_switch:
        sub     sp, sp, #160
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mov     x9, sp
        str     x9, [x0]
        mov     sp, x1
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #160
        ret
        .size   actri_ctx_switch, .-actri_ctx_switch

        .globl  actri_ctx_entry
        .hidden actri_ctx_entry
        .type   actri_ctx_entry, %function
        .p2align 4
actri_ctx_entry:
        mov     x0, x19         /* arg */
        mov     x29, #0
        blr     x20             /* entry(arg); never returns */
        brk     #0
        .size   actri_ctx_entry, .-actri_ctx_entry
#endif

#if defined(__linux__) && defined(__ELF__)
        .section .note.GNU-stack,"",%progbits
#endif
