/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vector clocks over thread slots. A clock grows on demand; components past
 * its length are zero.
 */
#ifndef __RACEWATCH_VCLOCK_H
#define __RACEWATCH_VCLOCK_H

#include <linux/types.h>

/**
 * struct rw_vc - a vector clock
 * @n: components in use (the rest are zero)
 * @cap: allocated components
 * @c: components, indexed by thread slot
 */
struct rw_vc {
	__u32 n;
	__u32 cap;
	__u32 *c;
};

static inline __u32 rw_vc__get(const struct rw_vc *vc, __u32 slot)
{
	return slot < vc->n ? vc->c[slot] : 0;
}

void rw_vc__fini(struct rw_vc *vc);
int rw_vc__set(struct rw_vc *vc, __u32 slot, __u32 val);
int rw_vc__tick(struct rw_vc *vc, __u32 slot);
int rw_vc__join(struct rw_vc *dst, const struct rw_vc *src);
int rw_vc__copy(struct rw_vc *dst, const struct rw_vc *src);
void rw_vc__move(struct rw_vc *dst, struct rw_vc *src);
int rw_vc__leq(const struct rw_vc *a, const struct rw_vc *b);

#endif /* __RACEWATCH_VCLOCK_H */
