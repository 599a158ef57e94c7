// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy, C++ names: a namespaced global (app::requests) and a static
 * data member (Stats::errors), each updated by two std::threads without a
 * lock. Watch: -w app::requests or -w Stats::errors (or their mangled
 * names). Expected: a race in count_request() or in count_error().
 */
#include <chrono>
#include <cstdio>
#include <thread>

namespace app {
long requests;
}

struct Stats {
	static int errors;
};
int Stats::errors;

static __attribute__((noinline)) void count_request()
{
	app::requests = app::requests + 1;
}

static __attribute__((noinline)) void count_error()
{
	Stats::errors = Stats::errors + 1;
}

static void worker(int id)
{
	std::this_thread::sleep_for(std::chrono::milliseconds(20 * id));
	count_request();
	count_error();
}

int main()
{
	std::thread a(worker, 0), b(worker, 1);

	a.join();
	b.join();
	std::printf("requests %ld errors %d\n", app::requests, Stats::errors);
	return 0;
}
