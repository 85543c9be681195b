/* tools/calibrate/start.S — reset trampoline and _start for QEMU's xtensa sim board (lx106,
 * call0 ABI). QEMU starts at the reset vector 0x50000000: jump to _start through a literal. */
    .section .reset.text, "ax"
    .global _reset
    .align 4
_reset:
    j       1f
    .align 4
.Lstart_addr:
    .word   _start
1:
    l32r    a0, .Lstart_addr
    jx      a0

    .text
    .literal_position
    .align 4
    .global _start
_start:
    movi    a0, 0
    movi    a1, _stack_top
    call0   harness_main        /* returns the exit code in a2 */
    mov     a3, a2
    movi    a2, 1               /* semihosting SYS_exit */
    simcall
2:  j       2b

/* long sim_write(int fd, const void *buf, size_t len): semihosting SYS_write (4). */
    .literal_position
    .align 4
    .global sim_write
sim_write:
    mov     a5, a4
    mov     a4, a3
    mov     a3, a2
    movi    a2, 4
    simcall
    ret
