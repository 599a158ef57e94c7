/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 instruction decoding of trapping accesses (capstone). A data
 * breakpoint traps after the access, so the trap's ip is the address after
 * the instruction; the decoder finds the instruction's start and says
 * whether it is an atomic read-modify-write (LOCK prefix, or XCHG with a
 * memory operand, which is locked implicitly).
 */
#ifndef __RACEWATCH_DECODE_H
#define __RACEWATCH_DECODE_H

#include <stdbool.h>
#include <linux/types.h>

struct rw_maps;
struct rw_decoder;

#define RW_DECODE_NONE		0 /* not decoded: no mapping, no file, no code */
#define RW_DECODE_FORWARD	1 /* decoded from the enclosing function's start */
#define RW_DECODE_BACKWARD	2 /* guessed: one instruction ending at ip */

#define RW_MEM_UNKNOWN		0 /* the operand's address needs registers (or no operand) */
#define RW_MEM_RIP		1 /* [rip + disp]: the address is ip + @mem_disp */
#define RW_MEM_ABS		2 /* [disp32]: the address is @mem_disp */

/**
 * struct rw_insn - the accessing instruction
 * @start: its address (ip - 1 when not decoded)
 * @how: RW_DECODE_*
 * @atomic: LOCK-prefixed, or XCHG with memory
 * @writes_mem: a memory operand is written (a store or read-modify-write)
 * @mem_how: RW_MEM_*: whether its one memory operand's address is known
 *	without registers (globals: rip-relative in PIC code, absolute in
 *	non-PIE executables)
 * @mem_size: that operand's size in bytes
 * @mem_disp: see RW_MEM_*
 * @text: "lock xadd dword ptr [rip + 0x2ee5], eax" when decoded
 */
struct rw_insn {
	__u64 start;
	int how;
	bool atomic;
	bool writes_mem;
	__u8 mem_how;
	__u8 mem_size;
	__s64 mem_disp;
	char text[64];
};

int rw_decoder__new(struct rw_decoder **out);
void rw_decoder__free(struct rw_decoder *d);
int rw_decoder__insn(struct rw_decoder *d, struct rw_maps *m, __u64 ip, struct rw_insn *out);
__u8 rw_insn__mask(const struct rw_insn *in, __u64 ip, __u64 addr, __u32 len);

#endif /* __RACEWATCH_DECODE_H */
