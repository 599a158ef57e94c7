// SPDX-License-Identifier: GPL-2.0
/*
 * A statically linked target (built only as progs/sync_static-static): one
 * mutex lock/unlock pair after a byte arrives on stdin, so the sync tracer can
 * be attached first and must find the pthread symbols in the executable.
 */
#include <pthread.h>
#include <unistd.h>

pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
	char c;

	if (read(0, &c, 1) != 1)
		return 1;
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	return 0;
}
