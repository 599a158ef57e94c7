// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: a writer-preferring rwlock taken with the timed and
 * clock variants (pthread_rwlock_timedrdlock/timedwrlock,
 * clockrdlock/clockwrlock) by two threads that both read and write.
 * Watch: -w entries. Expected: no report, "entries 40".
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

long entries;
static pthread_rwlock_t rw;

static void deadline(clockid_t c, struct timespec *ts)
{
	clock_gettime(c, ts);
	ts->tv_sec += 5;
}

static void *worker(void *arg)
{
	struct timespec ts;
	long seen = 0;

	for (int i = 0; i < 20; i++) {
		deadline(CLOCK_REALTIME, &ts);
		if (pthread_rwlock_timedrdlock(&rw, &ts) == 0) {
			seen += entries;
			pthread_rwlock_unlock(&rw);
		}
		if (i % 2) {
			deadline(CLOCK_MONOTONIC, &ts);
			while (pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts))
				;
		} else {
			deadline(CLOCK_REALTIME, &ts);
			while (pthread_rwlock_timedwrlock(&rw, &ts))
				;
		}
		entries++;
		pthread_rwlock_unlock(&rw);
		deadline(CLOCK_MONOTONIC, &ts);
		if (pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts) == 0) {
			seen += entries;
			pthread_rwlock_unlock(&rw);
		}
	}
	return (void *)seen;
}

int main(void)
{
	pthread_rwlockattr_t a;
	pthread_t t[2];

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&rw, &a);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("entries %ld\n", entries);
	return entries == 40 ? 0 : 1;
}
