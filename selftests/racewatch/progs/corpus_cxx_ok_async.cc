// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: std::async(std::launch::async) computes into a
 * global; main reads it after future::get() (which joins the async thread).
 * Watch: -w computed. Expected: no report, "computed 55".
 */
#include <cstdio>
#include <future>

long computed;

static int work()
{
	for (int i = 1; i <= 10; i++)
		computed += i;
	return 1;
}

int main()
{
	computed = 0;
	auto f = std::async(std::launch::async, work);
	int ok = f.get();

	std::printf("computed %ld\n", computed);
	return ok == 1 && computed == 55 ? 0 : 1;
}
