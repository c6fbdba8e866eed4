// The node's event log: start-up, link changes, config changes, errors.
// One line per event, timestamped, to stderr (the lab sends it to a file)
// and kept in a bounded in-memory ring for `diagnose debug eventlog`.
// Control plane only; workers never log. Thread-safe: the heartbeat
// keeper (node_ha.cc) logs from its own thread.
#pragma once

#include <cstdarg>
#include <deque>
#include <mutex>
#include <string>

namespace tandem::daemon {

enum class Severity { kInfo, kNotice, kWarning, kError };

class EventLog {
 public:
  static constexpr size_t kKeep = 1000;

  void log(Severity sev, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  std::deque<std::string> recent() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return recent_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<std::string> recent_;
};

EventLog& event_log();

}  // namespace tandem::daemon
