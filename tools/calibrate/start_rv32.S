/* tools/calibrate/start_rv32.S — _start and the semihosting calls for QEMU's riscv32 "virt" board
 * (ESP32-C3 stand-in: RV32IMC, ilp32, machine mode, no interrupts). QEMU jumps to the ELF entry;
 * output and exit use the RISC-V semihosting convention (a0 = operation, a1 = argument, the
 * uncompressed slli/ebreak/srai sequence; QEMU needs -semihosting). */
    .equ    SYS_OPEN, 0x01
    .equ    SYS_WRITE, 0x05
    .equ    SYS_EXIT, 0x18
    .equ    EXIT_OK, 0x20026        /* ADP_Stopped_ApplicationExit: QEMU exits with status 0 */
    .equ    EXIT_ERROR, 0x20023     /* ADP_Stopped_RunTimeErrorUnknown: QEMU exits with status 1 */

/* One semihosting call: a0 = operation, a1 = argument (a pointer to a parameter block) -> a0. */
.macro SEMIHOST
    .option push
    .option norvc
    .balign 16
    slli    zero, zero, 0x1f
    ebreak
    srai    zero, zero, 7
    .option pop
.endm

    .section .text.start, "ax"
    .global _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, _stack_top
    /* The console handle, before anything is printed (.data: harness_main clears only .bss). */
    la      a1, tty_open_args
    li      a0, SYS_OPEN
    SEMIHOST
    la      t0, tty_handle
    sw      a0, 0(t0)
    call    harness_main            /* returns the exit code in a0 */
    li      a1, EXIT_OK
    beqz    a0, 1f
    li      a1, EXIT_ERROR
1:  li      a0, SYS_EXIT
    SEMIHOST
2:  j       2b

/* long sim_write(int fd, const void *buf, size_t len): SYS_WRITE to the console (fd ignored);
 * returns the bytes not written (0). */
    .text
    .global sim_write
sim_write:
    addi    sp, sp, -16
    la      t0, tty_handle
    lw      t0, 0(t0)
    sw      t0, 0(sp)
    sw      a1, 4(sp)
    sw      a2, 8(sp)
    mv      a1, sp
    li      a0, SYS_WRITE
    SEMIHOST
    addi    sp, sp, 16
    ret

    .section .rodata
tty_name:
    .asciz  ":tt"
    .balign 4
tty_open_args:
    .word   tty_name, 4, 3          /* name, mode 4 ("w"), name length */

    .data
    .balign 4
tty_handle:
    .word   -1
