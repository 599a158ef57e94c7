// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, and a KNOWN LIMIT of racewatch: the payload is
 * published through a C11 atomic flag (atomic_store_explicit release,
 * atomic_load_explicit acquire). On x86-64 both compile to plain movs that
 * no probe sees, so with only the payload watched the edge is invisible and
 * racewatch reports the payload (Documentation/sync.rst, "Atomics done with
 * plain moves"). Watch: -w payload. Correct verdict: no race.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

long payload;
static atomic_int ready;

static __attribute__((noinline)) void publish(long v)
{
	payload = v;
	atomic_store_explicit(&ready, 1, memory_order_release);
}

static __attribute__((noinline)) long receive(void)
{
	while (!atomic_load_explicit(&ready, memory_order_acquire))
		sched_yield();
	return payload;
}

static void *consumer(void *arg)
{
	return (void *)receive();
}

int main(void)
{
	pthread_t c;
	void *v;

	pthread_create(&c, NULL, consumer, NULL);
	publish(1234);
	pthread_join(c, &v);
	printf("received %ld\n", (long)v);
	return (long)v == 1234 ? 0 : 1;
}
