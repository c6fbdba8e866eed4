#include "dataplane/ztna/ztna_auth.h"

#include <rte_ring.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include <openssl/crypto.h>

#include "dataplane/user/user_password.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::dp {
namespace {

// Every worker's whole pool fits: a post fails only when that worker's
// pool is exhausted, which it checks first.
constexpr unsigned kRingSize = 1024;
static_assert(kRingSize > kMaxWorkers * kZtnaLoginJobs, "the ring holds every worker's jobs");
// A verifier with nothing to do looks at the ring again after kPollMin,
// doubling up to kPollMax while it stays idle: a first login waits at
// most kPollMax (a check costs about as much) and an idle node pays a
// few hundred wake-ups a second, not thousands.
constexpr auto kPollMin = std::chrono::microseconds(100);
constexpr auto kPollMax = std::chrono::microseconds(4000);

struct Verifier {
  std::mutex mutex;  // acquire/release (control side)
  unsigned refs = 0;
  rte_ring* ring = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> checked{0}, good{0}, busy_us{0};
};

Verifier& verifier() {
  static Verifier v;
  return v;
}

void answer(Verifier& v, ZtnaLoginJob* job, bool check) {
  auto t0 = std::chrono::steady_clock::now();
  bool ok = check && user_password_verify(std::string_view(job->hash),
                                          std::string_view(job->password, job->password_len));
  OPENSSL_cleanse(job->password, sizeof job->password);
  job->ok = ok;
  if (check) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    v.checked.fetch_add(1, std::memory_order_relaxed);
    v.good.fetch_add(ok, std::memory_order_relaxed);
    v.busy_us.fetch_add(static_cast<uint64_t>(us.count()), std::memory_order_relaxed);
  }
  job->done.store(true, std::memory_order_release);
}

void run(Verifier* v) {
  // Below the control loop: under a burst of logins the scheduler still
  // gives the heartbeats their turn.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kZtnaAuthNice);
  auto poll = kPollMin;
  while (!v->stop.load(std::memory_order_acquire)) {
    void* p = nullptr;
    if (rte_ring_sc_dequeue(v->ring, &p) == 0) {
      answer(*v, static_cast<ZtnaLoginJob*>(p), true);
      poll = kPollMin;
      continue;
    }
    std::this_thread::sleep_for(poll);
    poll = std::min(poll * 2, std::chrono::duration_cast<decltype(poll)>(kPollMax));
  }
  void* p = nullptr;
  while (rte_ring_sc_dequeue(v->ring, &p) == 0) answer(*v, static_cast<ZtnaLoginJob*>(p), false);
}

}  // namespace

bool ztna_auth_acquire() {
  Verifier& v = verifier();
  std::lock_guard<std::mutex> lock(v.mutex);
  if (v.refs++ > 0) return true;
  v.ring = rte_ring_create("tandem_ztna_auth", kRingSize, SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (v.ring == nullptr) {
    v.refs = 0;
    return false;
  }
  v.stop.store(false, std::memory_order_release);
  v.thread = std::thread(run, &v);
  return true;
}

void ztna_auth_release() {
  Verifier& v = verifier();
  std::lock_guard<std::mutex> lock(v.mutex);
  if (v.refs == 0 || --v.refs > 0) return;
  v.stop.store(true, std::memory_order_release);
  if (v.thread.joinable()) v.thread.join();
  rte_ring_free(v.ring);
  v.ring = nullptr;
}

bool ztna_auth_post(ZtnaLoginJob* job) {
  rte_ring* ring = verifier().ring;
  return ring != nullptr && rte_ring_mp_enqueue(ring, job) == 0;
}

ZtnaAuthStats ztna_auth_stats() {
  Verifier& v = verifier();
  ZtnaAuthStats s{};
  s.checked = v.checked.load(std::memory_order_relaxed);
  s.good = v.good.load(std::memory_order_relaxed);
  s.busy_us = v.busy_us.load(std::memory_order_relaxed);
  rte_ring* ring = v.ring;
  s.queued = ring != nullptr ? rte_ring_count(ring) : 0;
  return s;
}

}  // namespace tandem::dp
