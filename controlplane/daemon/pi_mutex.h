// A mutex with priority inheritance (PTHREAD_PRIO_INHERIT): while a
// real-time thread waits for it, the normal-priority thread holding it runs
// at the waiter's priority until it lets go. The heartbeat keeper (real
// time) shares its hbdevs with the control lcore (normal): with a plain
// mutex it could wait behind a control lcore preempted while it held it.
#pragma once

#include <pthread.h>

namespace tandem::daemon {

class PiMutex {
 public:
  PiMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&mutex_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~PiMutex() { pthread_mutex_destroy(&mutex_); }
  PiMutex(const PiMutex&) = delete;
  PiMutex& operator=(const PiMutex&) = delete;

  void lock() { pthread_mutex_lock(&mutex_); }
  void unlock() { pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t mutex_;
};

}  // namespace tandem::daemon
