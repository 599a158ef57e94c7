// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: a ledger updated under std::mutex through
 * std::lock_guard, std::unique_lock (with an unlock/relock inside) and
 * std::scoped_lock, and (inside std::mutex) a std::recursive_mutex taken
 * twice.
 * Watch: -w ledger. Expected: no report, "ledger 120".
 */
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

long ledger;
static std::mutex mu;
static std::recursive_mutex rmu;

static void add_recursive()
{
	std::lock_guard<std::recursive_mutex> g(rmu);
	ledger++;
}

static void worker()
{
	for (int i = 0; i < 10; i++) {
		{
			std::lock_guard<std::mutex> g(mu);
			ledger++;
		}
		{
			std::unique_lock<std::mutex> u(mu);
			ledger++;
			u.unlock();
			u.lock();
			ledger++;
		}
		{
			std::scoped_lock s(mu);
			ledger++;
		}
		{
			std::lock_guard<std::mutex> g0(mu);
			std::lock_guard<std::recursive_mutex> g(rmu);
			add_recursive();
			ledger++;
		}
	}
}

int main()
{
	std::vector<std::thread> ts;

	for (int i = 0; i < 2; i++)
		ts.emplace_back(worker);
	for (auto &t : ts)
		t.join();
	std::printf("ledger %ld\n", ledger);
	return ledger == 120 ? 0 : 1;
}
