#include "dataplane/neigh/neigh.h"

#include <bit>
#include <cstring>

namespace tandem::dp {
namespace {

constexpr size_t kAlign = 64;
constexpr uint32_t kNil = UINT32_MAX;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

uint32_t hash_of(uint8_t port, uint32_t ip_be) {
  uint32_t h = (ip_be ^ (uint32_t{port} << 24)) * 0x9e3779b1u;
  return h ^ (h >> 16);
}

}  // namespace

size_t neigh_table_memsize(uint32_t capacity) {
  return round_up(sizeof(NeighTable), kAlign) +
         round_up(size_t{std::bit_ceil(capacity)} * sizeof(uint32_t), kAlign) +
         size_t{capacity} * sizeof(NeighEntry);
}

NeighTable* neigh_table_init(void* mem, uint32_t capacity) {
  if (capacity == 0) return nullptr;
  std::memset(mem, 0, neigh_table_memsize(capacity));
  auto* t = static_cast<NeighTable*>(mem);
  uint8_t* p = static_cast<uint8_t*>(mem) + round_up(sizeof(NeighTable), kAlign);
  uint32_t nb = std::bit_ceil(capacity);
  t->capacity = capacity;
  t->bucket_mask = nb - 1;
  t->buckets = reinterpret_cast<uint32_t*>(p);
  t->entries = reinterpret_cast<NeighEntry*>(p + round_up(size_t{nb} * sizeof(uint32_t), kAlign));
  std::memset(t->buckets, 0xff, size_t{nb} * sizeof(uint32_t));
  for (uint32_t i = 0; i < capacity; ++i) t->entries[i].next = i + 1 < capacity ? i + 1 : kNil;
  t->free_head = 0;
  return t;
}

NeighEntry* neigh_find(NeighTable* t, uint8_t port_index, uint32_t ip_be) {
  for (uint32_t i = t->buckets[hash_of(port_index, ip_be) & t->bucket_mask]; i != kNil;
       i = t->entries[i].next) {
    NeighEntry& e = t->entries[i];
    if (e.ip_be == ip_be && e.port_index == port_index) return &e;
  }
  return nullptr;
}

NeighEntry* neigh_create(NeighTable* t, uint8_t port_index, uint32_t ip_be) {
  uint32_t idx = t->free_head;
  if (idx == kNil) return nullptr;
  NeighEntry& e = t->entries[idx];
  t->free_head = e.next;
  std::memset(&e, 0, sizeof(e));
  e.ip_be = ip_be;
  e.port_index = port_index;
  e.state = NeighState::kIncomplete;
  uint32_t* bucket = &t->buckets[hash_of(port_index, ip_be) & t->bucket_mask];
  e.next = *bucket;
  *bucket = idx;
  ++t->in_use;
  return &e;
}

void neigh_delete(NeighTable* t, NeighEntry* e) {
  uint32_t idx = static_cast<uint32_t>(e - t->entries);
  uint32_t* link = &t->buckets[hash_of(e->port_index, e->ip_be) & t->bucket_mask];
  while (*link != kNil && *link != idx) link = &t->entries[*link].next;
  if (*link == idx) *link = e->next;
  e->state = NeighState::kFree;
  e->nb_queued = 0;
  e->next = t->free_head;
  t->free_head = idx;
  --t->in_use;
}

}  // namespace tandem::dp
