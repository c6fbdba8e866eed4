// The per-worker table of authenticated ZTNA users, keyed by client IPv4
// address (auth_type IP, as FortiOS WAD does for an access proxy): the
// proxy looks a connection's source up before asking for credentials,
// adds an entry after a successful Basic login, and counts traffic on it.
// Fixed capacity, allocated once at init; open addressing with linear
// probing and backward-shift deletion, so no tombstones build up. Expiry
// is lazy on lookup plus a bounded sweep per call of expire(). One worker
// owns a table; nothing here locks. Sync records and the `diagnose wad
// user list` text are in the same API.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/sync/sync_records.h"
#include "dataplane/user/user_types.h"

namespace tandem::dp {

class UserTable {
 public:
  UserTable() = default;
  ~UserTable();
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;

  // capacity: at most this many users (rounded up to a power of two slots
  // with room to probe). worker: stamped on entries this table creates.
  bool init(std::size_t capacity, uint16_t worker);

  // The live entry of ip, or nullptr (an expired entry is removed here).
  UserEntry* lookup(uint32_t ip, uint64_t now_ms);
  // Adds or replaces ip's entry. nullptr when the table is full or the
  // login is malformed (ip 0, name too long).
  UserEntry* login(const UserLogin& login, uint64_t now_ms);
  // Traffic on an entry: idle timeouts restart.
  void touch(UserEntry* e, uint64_t now_ms);
  bool remove(uint32_t ip);
  // Frees expired entries among the next max_slots slots (a cursor walks
  // the table across calls); returns how many were freed. on_expired (may
  // be null) sees each entry before it goes, e.g. to send a sync delete.
  std::size_t expire(uint64_t now_ms, std::size_t max_slots, void (*on_expired)(const UserEntry&, void*), void* arg);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return max_users_; }
  const UserTableStats& stats() const { return stats_; }
  // Slot-order iteration for listing: calls fn for every live entry.
  void for_each(void (*fn)(const UserEntry&, void*), void* arg) const;
  // A bounded slice of the same walk (the sync bulk walk): fn for the live
  // entries among max_slots slots from *cursor; advances *cursor and
  // returns true once it passed the last slot.
  bool walk(std::size_t* cursor, std::size_t max_slots, void (*fn)(const UserEntry&, void*), void* arg) const;

  // Sync: the record of an entry, and installing a peer's record (an entry
  // marked synced, expiring when the sender's would, stamped with the
  // receiver's generation). False when full.
  static void record_from(const UserEntry& e, uint64_t now_ms, UserRecord* out);
  bool install(const UserRecord& r, uint64_t now_ms, uint32_t generation = 0);
  // End of the peer's bulk walk: synced entries it did not write in this
  // generation are gone on the peer (cleared while this node was away).
  // Returns how many were removed.
  std::size_t drop_stale(uint32_t generation);
  // This node became the primary: the peer's entries are its own now (it
  // sends their refreshes and deletes). Returns how many were marked.
  std::size_t adopt_synced();

 private:
  std::size_t slot_of(uint32_t ip) const;
  UserEntry* find(uint32_t ip);
  UserEntry* claim(uint32_t ip);  // ip's slot, existing or new; nullptr when full
  void erase_slot(std::size_t slot);

  UserEntry* slots_ = nullptr;
  std::size_t mask_ = 0;
  std::size_t max_users_ = 0;
  std::size_t size_ = 0;
  std::size_t cursor_ = 0;
  uint32_t next_id_ = 1;
  uint16_t worker_ = 0;
  UserTableStats stats_{};
};

// One entry in the FortiOS `diagnose wad user list` layout; returns the
// length written (snprintf semantics). Control side only.
std::size_t format_user(const UserEntry& e, uint64_t now_ms, const char* vdom, char* buf, std::size_t len);

}  // namespace tandem::dp
