#include "controlplane/daemon/event_log.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>

namespace tandem::daemon {

EventLog& event_log() {
  static EventLog log;
  return log;
}

void EventLog::log(Severity sev, const char* fmt, ...) {
  static const char* const kNames[] = {"information", "notice", "warning", "error"};
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);

  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  localtime_r(&tv.tv_sec, &t);
  char when[64];
  std::strftime(when, sizeof(when), "date=%Y-%m-%d time=%H:%M:%S", &t);
  char line[1200];
  std::snprintf(line, sizeof(line), "%s.%03ld level=\"%s\" msg=\"%s\"", when,
                static_cast<long>(tv.tv_usec / 1000), kNames[static_cast<int>(sev)], msg);
  std::lock_guard<std::mutex> lock(mutex_);
  std::fprintf(stderr, "%s\n", line);
  std::fflush(stderr);
  recent_.emplace_back(line);
  if (recent_.size() > kKeep) recent_.pop_front();
}

}  // namespace tandem::daemon
