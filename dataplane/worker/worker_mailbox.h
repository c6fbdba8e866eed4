// The control side's way to run a request on a worker (session list and
// clear, `diagnose sys tcp`, `diagnose wad user`): one pointer-sized
// mailbox per worker that the worker polls once per loop. Before the
// workers are launched nobody polls it, so the caller serves the request
// itself. Control threads only: it sleeps while it waits.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

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

}  // namespace tandem::dp
