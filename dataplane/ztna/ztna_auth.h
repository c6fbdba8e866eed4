// Login password checks off the workers. PBKDF2 costs milliseconds per
// login (user_password.h); run on a worker it stalls every connection of
// that worker. A worker fills a ZtnaLoginJob from its own fixed pool and
// posts it here; one verifier thread (not a worker lcore, not the control
// lcore's loop either: a burst of logins there would delay heartbeats)
// runs the checks in order and marks each job done. The worker sees `done`
// in its next loop and resumes the connection, or drops the answer when
// the connection is gone (ztna_app.cc). Jobs live in the worker's memory:
// the worker waits for its jobs before it frees them (ztna_auth_drain).
//
// The thread is shared by every worker and started with the first ZTNA
// worker state (ztna_app_create), stopped with the last. It inherits the
// control lcore's CPU affinity and runs at a lower priority (nice
// kZtnaAuthNice), so the control loop keeps its CPU under a login storm.
// Control side only, except ztna_auth_post (any worker, no lock, no syscall).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dataplane/ztna/ztna_conn.h"
#include "dataplane/ztna/ztna_types.h"

namespace tandem::dp {

// Checks one worker may have in flight; more logins at once are answered
// 503 (ZtnaConn::refuse_login_busy): at 2.5 ms each, a full pool is 80 ms
// of the verifier's time per worker.
inline constexpr unsigned kZtnaLoginJobs = 32;
inline constexpr int kZtnaAuthNice = 10;

struct ZtnaLoginJob {
  // The worker's: which connection asked (ztna_app.cc's slot and its
  // generation), when, and the answer it found.
  uint32_t slot, gen;
  uint64_t posted_us;
  // The check: the verifier reads these, writes ok, then sets done.
  char hash[kZtnaHashMax + 1];
  uint16_t password_len;
  char password[kZtnaPasswordMax];
  bool ok;
  std::atomic<bool> done;
};

// Takes a reference on the verifier (creating it and its thread on first
// use). False when the ring or the thread cannot be made.
bool ztna_auth_acquire();
// Drops the reference; the last one stops and joins the thread. Jobs still
// queued are answered "wrong" without a check.
void ztna_auth_release();
// Queues a job (done must be false). False when the queue is full.
bool ztna_auth_post(ZtnaLoginJob* job);

// What the verifier did (for `diagnose wad stats`).
struct ZtnaAuthStats {
  uint64_t checked, good, busy_us;
  uint32_t queued;  // posted, not yet taken
};
ZtnaAuthStats ztna_auth_stats();

}  // namespace tandem::dp
