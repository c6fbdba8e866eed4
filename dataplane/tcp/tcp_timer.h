// A hashed timer wheel over index-linked nodes in one preallocated block:
// the TCP stack arms one node per connection at that connection's earliest
// deadline, and tcp_stack_advance() drives it. Generic (ids, not
// connections) and pure: no EAL, no allocation after timer_wheel_init.
//
// A node fires at the first advance whose time is >= its expiry (expiries
// round up to a tick, so never early, at most one tick late). Expiries past
// the wheel's horizon stay in their slot and are skipped until their turn.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::dp {

inline constexpr uint32_t kTimerNil = UINT32_MAX;

struct TimerNode {
  uint32_t next, prev;
  uint64_t tick;  // kTimerIdle when not armed
};
inline constexpr uint64_t kTimerIdle = UINT64_MAX;

struct TimerWheel {
  uint64_t tick_us;
  uint64_t next_tick;  // first tick not yet processed
  uint32_t slot_mask;
  uint32_t nb_nodes;
  uint32_t* slots;
  TimerNode* nodes;
};

// Called for each node that fires; it may arm or cancel any node.
using TimerFireFn = void (*)(void* ctx, uint32_t id, uint64_t now_us);

// Bytes for `nb_nodes` nodes and `nb_slots` slots (rounded up to a power of 2).
size_t timer_wheel_memsize(uint32_t nb_nodes, uint32_t nb_slots);
// Lays the wheel out in `mem` (8-byte aligned, timer_wheel_memsize bytes).
TimerWheel* timer_wheel_init(void* mem, uint32_t nb_nodes, uint32_t nb_slots, uint64_t tick_us,
                             uint64_t now_us);

// (Re)arms node `id` to fire at expire_us.
void timer_arm(TimerWheel* w, uint32_t id, uint64_t expire_us);
void timer_cancel(TimerWheel* w, uint32_t id);
inline bool timer_armed(const TimerWheel* w, uint32_t id) {
  return w->nodes[id].tick != kTimerIdle;
}

// Fires every node due at now_us; returns how many fired.
unsigned timer_wheel_advance(TimerWheel* w, uint64_t now_us, TimerFireFn fire, void* ctx);

}  // namespace tandem::dp
