// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, a field of a global struct. Two threads update cfg.flags (offset 8)
 * under a mutex and cfg.mode (offset 12) without one.
 * Watch -w cfg+12:4: racy, both accesses in set_mode().
 * Watch -w cfg+8:4: race-free (every access holds cfg_lock).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct config {
	long id;
	int flags;
	int mode;
	char name[8];
};

struct config cfg = { .id = 7 };
static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void set_flag(int bit)
{
	pthread_mutex_lock(&cfg_lock);
	cfg.flags |= bit;
	pthread_mutex_unlock(&cfg_lock);
}

static __attribute__((noinline)) void set_mode(int m)
{
	cfg.mode = m;
}

static void *worker(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < 20; i++)
		set_flag(1 << (i % 8));
	usleep(id * 10000);
	set_mode((int)id);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("flags %#x mode %d\n", cfg.flags, cfg.mode);
	return 0;
}
