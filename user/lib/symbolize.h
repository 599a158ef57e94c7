/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-process maps snapshots and symbolization with libdw (dwfl). A
 * snapshot is the text of /proc/PID/maps taken while the process lived;
 * code bytes, symbols and line tables are read from the mapped files on
 * disk, so a process that has exited still symbolizes.
 */
#ifndef __RACEWATCH_SYMBOLIZE_H
#define __RACEWATCH_SYMBOLIZE_H

#include <stdbool.h>
#include <linux/types.h>

struct Dwfl;

/**
 * struct rw_map - one line of a maps snapshot
 * @start: first address
 * @end: address past the last
 * @off: file offset of @start
 * @inode: inode of the mapped file (0 for anonymous)
 * @exec: the mapping is executable
 * @path: mapped file or pseudo name ("[vdso]"), NULL if anonymous
 */
struct rw_map {
	__u64 start;
	__u64 end;
	__u64 off;
	__u64 inode;
	bool exec;
	const char *path;
};

/**
 * struct rw_maps - a refcounted maps snapshot of one process
 * @refs: references (the engine's current-maps table, access snapshots)
 * @pid: the process
 * @text: the maps text
 * @strs: a copy of @text cut into lines; the paths point into it
 * @maps: parsed lines, sorted by address
 * @nr: number of @maps
 * @dwfl: libdw session over the snapshot, made on first use
 * @dwfl_failed: making @dwfl failed; do not retry
 */
struct rw_maps {
	int refs;
	__u32 pid;
	char *text;
	char *strs;
	struct rw_map *maps;
	size_t nr;
	struct Dwfl *dwfl;
	bool dwfl_failed;
};

/**
 * struct rw_frame - one symbolized address
 * @addr: the address shown (instruction start or return address)
 * @func: function name or NULL
 * @file: source file (full path as in DWARF) or NULL
 * @line: source line, 0 if unknown
 * @module: mapped file's path or NULL
 * @modoff: @addr relative to the module's load bias (the ELF address)
 */
struct rw_frame {
	__u64 addr;
	char *func;
	char *file;
	int line;
	const char *module;
	__u64 modoff;
};

struct rw_maps *rw_maps__parse(__u32 pid, const char *text);
struct rw_maps *rw_maps__get(struct rw_maps *m);
void rw_maps__put(struct rw_maps *m);
const struct rw_map *rw_maps__find(const struct rw_maps *m, __u64 addr);
struct Dwfl *rw_maps__dwfl(struct rw_maps *m);
__u64 rw_maps__codeloc(const struct rw_maps *m, __u32 pid, __u64 addr);
void rw_frame__symbolize(struct rw_maps *m, __u64 addr, __u64 lookup, struct rw_frame *f);
void rw_frame__fini(struct rw_frame *f);
int rw_maps__symbol(struct rw_maps *m, __u64 addr, char *buf, size_t len);
int rw_maps__read(__u32 pid, char **text);

#endif /* __RACEWATCH_SYMBOLIZE_H */
