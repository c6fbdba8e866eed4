// The node's event log: start-up, link changes, config changes, errors.
// One line per event, timestamped, to stderr (the lab sends it to a file)
// and kept in a bounded in-memory ring for `diagnose debug eventlog`.
// Control plane only; workers never log.
#pragma once

#include <cstdarg>
#include <deque>
#include <string>

namespace tandem::daemon {

enum class Severity { kInfo, kNotice, kWarning, kError };

class EventLog {
 public:
  static constexpr size_t kKeep = 1000;

  void log(Severity sev, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  const std::deque<std::string>& recent() const { return recent_; }

 private:
  std::deque<std::string> recent_;
};

EventLog& event_log();

}  // namespace tandem::daemon
