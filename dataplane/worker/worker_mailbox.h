// The control side's way to run a request on a worker (session list and
// clear, `diagnose sys tcp`, `diagnose wad user`): one pointer-sized
// mailbox per worker that the worker polls once per loop. Before the
// workers are launched nobody polls it, so the caller serves the request
// itself. Control threads only: it sleeps while it waits.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "dataplane/worker/worker_context.h"

namespace tandem::dp {

// Runs *req through `box` (Req has `std::atomic<bool> done`, which the
// worker sets when it has finished), or inline with serve_inline() when
// the workers are not launched. False after timeout_ms with the request
// withdrawn before any worker took it: nothing touches req afterwards.
template <typename Req, typename ServeInline>
bool mailbox_run(bool launched, std::atomic<Req*>& box, Req* req, unsigned timeout_ms,
                 ServeInline&& serve_inline) {
  if (!launched) {
    serve_inline();
    return true;
  }
  req->done.store(false, std::memory_order_relaxed);
  box.store(req, std::memory_order_release);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!req->done.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      Req* expected = req;
      // Not taken yet: withdrawn, nothing will touch req any more.
      if (box.compare_exchange_strong(expected, nullptr)) return false;
      // Taken: the worker is on it and finishes in bounded time.
      while (!req->done.load(std::memory_order_acquire)) std::this_thread::yield();
      return true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

// Runs *req on w: through its mailbox while the workers run, inline (the
// caller's thread) before they are launched. False after timeout_ms with
// the request withdrawn (mailbox_run).
bool worker_request_run(Dataplane* dp, WorkerContext* w, WorkerRequest* req, unsigned timeout_ms);

// A listing request on every worker in turn, each writing after what the
// ones before it wrote: prepare(req, written) sets its kind, filter and
// output (at index `written`). Returns the number written (at most max)
// with the number of matches in *matched, or -ETIMEDOUT. Control side.
template <typename Prepare>
int worker_request_gather(Dataplane* dp, unsigned max, unsigned* matched, unsigned timeout_ms,
                          Prepare prepare) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  unsigned written = 0, total = 0;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    WorkerRequest req{};
    prepare(&req, written);
    req.max = max - written;
    if (!worker_request_run(dp, dp->workers_[i], &req, timeout_ms)) return -ETIMEDOUT;
    written += req.written;
    total += req.matched;
  }
  if (matched != nullptr) *matched = total;
  return static_cast<int>(written);
}

}  // namespace tandem::dp
