// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: a one-slot producer/consumer queue with a mutex and two
 * condition variables, while-loop waits (signal and broadcast, one timed
 * wait). The slot is written by the producer and read by the consumer, each
 * under the mutex. Watch: -w slot. Expected: no report, "sum 210".
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define ITEMS 20

long slot;
static int full;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
	for (long i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&mu);
		while (full)
			pthread_cond_wait(&not_full, &mu);
		slot = i;
		full = 1;
		if (i % 2)
			pthread_cond_signal(&not_empty);
		else
			pthread_cond_broadcast(&not_empty);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long sum = 0;
	struct timespec ts;

	for (int i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&mu);
		while (!full) {
			if (i == 3) {
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&not_empty, &mu, &ts);
			} else {
				pthread_cond_wait(&not_empty, &mu);
			}
		}
		sum += slot;
		full = 0;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&mu);
	}
	return (void *)sum;
}

int main(void)
{
	pthread_t p, c;
	void *sum;

	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, &sum);
	printf("sum %ld\n", (long)sum);
	return (long)sum == ITEMS * (ITEMS + 1) / 2 ? 0 : 1;
}
