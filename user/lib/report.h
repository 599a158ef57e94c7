/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Race reports: the Go race detector's text shape, or one JSON object per
 * line (Documentation/report.rst describes both).
 */
#ifndef __RACEWATCH_REPORT_H
#define __RACEWATCH_REPORT_H

#include <stdio.h>
#include <linux/types.h>

#include "detector.h"
#include "engine.h"

char *rw_report__race(enum rw_format fmt, __u64 id, const struct rw_loc *loc,
		      struct rw_access *cur, struct rw_access *prev);
void rw_json__str(FILE *f, const char *s);
void rw_json__key(FILE *f, const struct rw_key *key);
const char *rw_prim__name(__u16 prim);

#endif /* __RACEWATCH_REPORT_H */
