/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbol name to address in a live process, for "-w SYM[+OFF][:LEN]":
 * looks in the main executable and every shared library the process maps.
 * The public entry point, rw_elfsym__resolve(), is declared in engine.h.
 */
#ifndef __RACEWATCH_SYMRES_H
#define __RACEWATCH_SYMRES_H

#include <stdbool.h>
#include <linux/types.h>

/**
 * struct rw_symspec - a parsed SYM[+OFF][:LEN]
 * @sym: symbol name (points into the caller's buffer)
 * @off: byte offset into the symbol
 * @len: watched length, 0 when not given
 */
struct rw_symspec {
	char sym[256];
	__u64 off;
	__u32 len;
};

int rw_symspec__parse(const char *spec, struct rw_symspec *out);

/**
 * struct rw_exe_sym - a field of an executable file, as RACEWATCH_IOC_WATCH_EXE
 *	names it
 * @vaddr: link-time address of the field (symbol value plus offset)
 * @len: watched length
 * @anchor_offset: page-aligned file offset of the first PT_LOAD segment
 * @anchor_vaddr: its page-aligned link-time address
 * @name: "SYM[+OFF]", for reports
 */
struct rw_exe_sym {
	__u64 vaddr;
	__u32 len;
	__u64 anchor_offset;
	__u64 anchor_vaddr;
	char name[256];
};

int rw_exesym__resolve(const char *path, const char *spec, struct rw_exe_sym *out);

#endif /* __RACEWATCH_SYMRES_H */
