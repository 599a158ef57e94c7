// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: double-checked initialization with a plain flag. The first
 * caller sets 'initialized' under the lock; a later caller reads it without
 * the lock and skips the lock. Watch: -w initialized. Expected: a read/write
 * race, both in get_table().
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int initialized;
static int *table;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) int *get_table(void)
{
	if (!initialized) {
		pthread_mutex_lock(&init_lock);
		if (!initialized) {
			table = calloc(16, sizeof(*table));
			table[3] = 3;
			initialized = 1;
		}
		pthread_mutex_unlock(&init_lock);
	}
	return table;
}

static void *worker(void *arg)
{
	usleep((long)arg * 20000);
	return (void *)(long)get_table()[3];
}

int main(void)
{
	pthread_t t[2];
	void *v[2];

	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &v[i]);
	printf("saw %ld %ld\n", (long)v[0], (long)v[1]);
	free(table);
	return 0;
}
