/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay files: the engine's merged input as a sequence of typed records
 * (each starts with __u32 type; __u32 size), beginning with
 * struct rw_rec_file_hdr. Records are written 8-byte aligned.
 */
#ifndef __RACEWATCH_REPLAY_H
#define __RACEWATCH_REPLAY_H

#include <stdio.h>
#include <linux/types.h>

#include "engine.h"

/* The largest record a replay file may hold. */
#define RW_REC_MAX	(16u << 20)

FILE *rw_recorder__open(const char *path, __u64 reorder_ns);
int rw_recorder__write(FILE *f, const void *rec, size_t len);
int rw_recorder__watch(FILE *f, const struct rw_watch_desc *w, const struct rw_key *key);
int rw_recorder__maps(FILE *f, __u32 pid, const char *text);
int rw_recorder__close(FILE *f);

/* Internal: process records in arrival order, without a reorder window. */
void rw_engine__set_in_order(struct rw_engine *e);

#endif /* __RACEWATCH_REPLAY_H */
