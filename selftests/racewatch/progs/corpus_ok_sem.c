// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: a baton passed back and forth between two threads with
 * two semaphores (ping-pong); each side writes it only while holding the
 * turn; sem_trywait and sem_timedwait take some turns. Watch: -w baton.
 * Expected: no report, "baton 40".
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 20

long baton;
static sem_t ping, pong;

static void take(sem_t *s, int round)
{
	struct timespec ts;

	switch (round % 3) {
	case 0:
		sem_wait(s);
		break;
	case 1:
		while (sem_trywait(s))
			sched_yield();
		break;
	default:
		do {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
		} while (sem_timedwait(s, &ts));
	}
}

static void *player(void *arg)
{
	sem_t *mine = arg ? &pong : &ping, *theirs = arg ? &ping : &pong;

	for (int i = 0; i < ROUNDS; i++) {
		take(mine, i);
		baton++;
		sem_post(theirs);
	}
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	sem_init(&ping, 0, 1);
	sem_init(&pong, 0, 0);
	pthread_create(&a, NULL, player, NULL);
	pthread_create(&b, NULL, player, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("baton %ld\n", baton);
	return baton == 2 * ROUNDS ? 0 : 1;
}
