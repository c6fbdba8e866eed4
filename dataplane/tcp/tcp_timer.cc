#include "dataplane/tcp/tcp_timer.h"

#include <bit>
#include <new>

namespace tandem::dp {
namespace {

size_t round8(size_t n) { return (n + 7) & ~size_t{7}; }

void unlink(TimerWheel* w, uint32_t id) {
  TimerNode& n = w->nodes[id];
  if (n.prev != kTimerNil) w->nodes[n.prev].next = n.next;
  else w->slots[n.tick & w->slot_mask] = n.next;
  if (n.next != kTimerNil) w->nodes[n.next].prev = n.prev;
  n.tick = kTimerIdle;
}

}  // namespace

size_t timer_wheel_memsize(uint32_t nb_nodes, uint32_t nb_slots) {
  return round8(sizeof(TimerWheel)) + round8(size_t{std::bit_ceil(nb_slots)} * sizeof(uint32_t)) +
         size_t{nb_nodes} * sizeof(TimerNode);
}

TimerWheel* timer_wheel_init(void* mem, uint32_t nb_nodes, uint32_t nb_slots, uint64_t tick_us,
                             uint64_t now_us) {
  auto* base = static_cast<uint8_t*>(mem);
  auto* w = new (base) TimerWheel{};
  uint32_t slots = std::bit_ceil(nb_slots);
  w->tick_us = tick_us ? tick_us : 1;
  w->next_tick = now_us / w->tick_us;
  w->slot_mask = slots - 1;
  w->nb_nodes = nb_nodes;
  w->slots = reinterpret_cast<uint32_t*>(base + round8(sizeof(TimerWheel)));
  w->nodes = reinterpret_cast<TimerNode*>(base + round8(sizeof(TimerWheel)) +
                                          round8(size_t{slots} * sizeof(uint32_t)));
  for (uint32_t i = 0; i < slots; ++i) w->slots[i] = kTimerNil;
  for (uint32_t i = 0; i < nb_nodes; ++i) w->nodes[i] = TimerNode{kTimerNil, kTimerNil, kTimerIdle};
  return w;
}

void timer_arm(TimerWheel* w, uint32_t id, uint64_t expire_us) {
  if (w->nodes[id].tick != kTimerIdle) unlink(w, id);
  // Round up so that processing the tick means the expiry has passed; a
  // tick already processed is taken by the next advance.
  uint64_t tick = (expire_us + w->tick_us - 1) / w->tick_us;
  if (tick < w->next_tick) tick = w->next_tick;
  TimerNode& n = w->nodes[id];
  uint32_t slot = static_cast<uint32_t>(tick & w->slot_mask);
  n.tick = tick;
  n.prev = kTimerNil;
  n.next = w->slots[slot];
  if (n.next != kTimerNil) w->nodes[n.next].prev = id;
  w->slots[slot] = id;
}

void timer_cancel(TimerWheel* w, uint32_t id) {
  if (w->nodes[id].tick != kTimerIdle) unlink(w, id);
}

unsigned timer_wheel_advance(TimerWheel* w, uint64_t now_us, TimerFireFn fire, void* ctx) {
  uint64_t now_tick = now_us / w->tick_us;
  unsigned fired = 0;
  if (now_tick < w->next_tick) return 0;
  // A gap longer than a turn visits every slot once, with everything due
  // up to now (order within that gap is not kept; nothing relies on it).
  uint64_t slots = uint64_t{w->slot_mask} + 1;
  uint64_t from = now_tick - w->next_tick >= slots ? now_tick - slots + 1 : w->next_tick;
  bool gap = from != w->next_tick;
  for (uint64_t t = from; t <= now_tick; ++t) {
    uint64_t due_by = gap ? now_tick : t;
    // Restart from the slot head after each fire: the callback may have
    // armed or cancelled any node, including ones in this slot.
    for (;;) {
      uint32_t id = w->slots[t & w->slot_mask];
      while (id != kTimerNil && w->nodes[id].tick > due_by) id = w->nodes[id].next;
      if (id == kTimerNil) break;
      unlink(w, id);
      ++fired;
      // A callback re-arming at "now" lands on a later tick, so this loop ends.
      w->next_tick = t + 1;
      fire(ctx, id, now_us);
    }
    w->next_tick = t + 1;
  }
  return fired;
}

}  // namespace tandem::dp
