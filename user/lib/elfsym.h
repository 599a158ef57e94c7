/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elfsym: function symbol -> file offset, for uprobes. Unlike libbpf 1.1's
 * own lookup it accepts a name defined more than once (glibc exports
 * pthread_cond_wait@GLIBC_2.2.5 and pthread_cond_wait@@GLIBC_2.3.2 at two
 * addresses) and returns every distinct offset.
 */
#ifndef __RACEWATCH_ELFSYM_H
#define __RACEWATCH_ELFSYM_H

#include <linux/types.h>

struct elfsym;

/**
 * elfsym__open() - read the function symbols (.symtab and .dynsym) of an ELF file
 * @path: the file
 * @es: set to the new object on success
 *
 * Return: 0, -ENOEXEC if @path is not an ELF file, or another -errno.
 */
int elfsym__open(const char *path, struct elfsym **es);

/**
 * elfsym__offsets() - file offsets of every definition of a function
 * @es: the object
 * @name: symbol name without version (matches every version of it)
 * @offs: output array
 * @max: its size
 *
 * Only STT_FUNC symbols with a section count (an IFUNC's address is its
 * resolver's, not the function's). Return: number of distinct offsets (0 if
 * none), never more than @max.
 */
int elfsym__offsets(const struct elfsym *es, const char *name, __u64 *offs, int max);

/** elfsym__size() - size in bytes of the function at file offset @off (0: unknown) */
__u64 elfsym__size(const struct elfsym *es, __u64 off);

/** elfsym__nsyms() - how many function symbols the file defines */
int elfsym__nsyms(const struct elfsym *es);

void elfsym__close(struct elfsym *es);

#endif /* __RACEWATCH_ELFSYM_H */
