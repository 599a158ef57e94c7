// SPDX-License-Identifier: GPL-2.0
/*
 * A race on one field of a 16-byte global struct: two threads bump
 * stats.hits (offset 8) with nothing ordering them; stats.total (offset 0)
 * is only touched by main before the threads start and after they end.
 * "-w stats" watches the whole struct, and the report names the field's
 * part, stats+8.
 */
#include <pthread.h>
#include <stdio.h>

struct stats {
	long total;
	int hits;
	short errors;
	char state;
} stats;

static void *worker(void *arg)
{
	for (int i = 0; i < 2; i++)
		stats.hits++;					/* line 22 */
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	stats.total = 1;
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	stats.total += stats.hits;
	printf("hits %d total %ld\n", stats.hits, stats.total);
	return 0;
}
