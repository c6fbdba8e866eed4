#include "dataplane/user/user_table.h"

#include <bit>
#include <cstring>
#include <new>

namespace tandem::dp {
namespace {

constexpr uint64_t kMsPerS = 1000;
// Slots per user: at most half the slots are used, so probe runs stay short.
constexpr std::size_t kSlotsPerUser = 2;

}  // namespace

UserTable::~UserTable() { delete[] slots_; }

bool UserTable::init(std::size_t capacity, uint16_t worker) {
  delete[] slots_;
  std::size_t nb_slots = std::bit_ceil(capacity * kSlotsPerUser);
  slots_ = new (std::nothrow) UserEntry[nb_slots]();
  if (!slots_ || capacity == 0) return false;
  mask_ = nb_slots - 1;
  max_users_ = capacity;
  size_ = cursor_ = 0;
  next_id_ = 1;
  worker_ = worker;
  stats_ = {};
  return true;
}

std::size_t UserTable::slot_of(uint32_t ip) const {
  // Fibonacci hashing: client addresses of one subnet differ in the low
  // bits, which the multiply spreads over the whole word.
  return static_cast<std::size_t>((uint64_t{ip} * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
}

UserEntry* UserTable::find(uint32_t ip) {
  for (std::size_t i = slot_of(ip);; i = (i + 1) & mask_) {
    if (slots_[i].ip == ip) return &slots_[i];
    if (slots_[i].ip == 0) return nullptr;
  }
}

UserEntry* UserTable::claim(uint32_t ip) {
  for (std::size_t i = slot_of(ip);; i = (i + 1) & mask_) {
    if (slots_[i].ip == ip) return &slots_[i];
    if (slots_[i].ip == 0) {
      if (size_ == max_users_) return nullptr;
      ++size_;
      slots_[i].ip = ip;
      return &slots_[i];
    }
  }
}

// Backward-shift deletion: later entries of the probe run move up into the
// hole unless their home slot lies between the hole and them.
void UserTable::erase_slot(std::size_t i) {
  for (std::size_t j = i;;) {
    j = (j + 1) & mask_;
    if (slots_[j].ip == 0) break;
    std::size_t home = slot_of(slots_[j].ip);
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = UserEntry{};
  --size_;
}

UserEntry* UserTable::lookup(uint32_t ip, uint64_t now_ms) {
  if (ip == 0 || !slots_) return nullptr;
  UserEntry* e = find(ip);
  if (e && now_ms >= e->expire_ms) {
    erase_slot(static_cast<std::size_t>(e - slots_));
    ++stats_.expired;
    return nullptr;
  }
  return e;
}

UserEntry* UserTable::login(const UserLogin& in, uint64_t now_ms) {
  if (in.ip == 0 || in.name_len > kUserEntryNameMax || !slots_) return nullptr;
  UserEntry* e = claim(in.ip);
  if (!e) {
    ++stats_.full;
    return nullptr;
  }
  *e = UserEntry{};
  e->ip = in.ip;
  e->id = next_id_++;
  e->login_ms = now_ms;
  e->timeout_s = in.timeout_s;
  e->expire_ms = now_ms + uint64_t{in.timeout_s} * kMsPerS;
  e->policy_id = in.policy_id;
  e->group_id = in.group_id;
  e->worker = worker_;
  e->idle_timeout = in.idle_timeout;
  e->auth_type = UserAuthType::kIp;
  e->auth_method = in.method;
  e->user_based = true;
  e->name_len = static_cast<uint8_t>(in.name_len);
  std::memcpy(e->name, in.name, in.name_len);
  ++stats_.logins;
  return e;
}

void UserTable::touch(UserEntry* e, uint64_t now_ms) {
  if (!e->idle_timeout) return;
  e->expire_ms = now_ms + uint64_t{e->timeout_s} * kMsPerS;
  ++stats_.refreshed;
}

bool UserTable::remove(uint32_t ip) {
  UserEntry* e = ip && slots_ ? find(ip) : nullptr;
  if (!e) return false;
  erase_slot(static_cast<std::size_t>(e - slots_));
  ++stats_.removed;
  return true;
}

std::size_t UserTable::expire(uint64_t now_ms, std::size_t max_slots, void (*on_expired)(const UserEntry&, void*),
                              void* arg) {
  if (!slots_) return 0;
  std::size_t freed = 0;
  for (std::size_t n = 0; n < max_slots && size_ > 0; ++n) {
    UserEntry& e = slots_[cursor_];
    if (e.ip != 0 && now_ms >= e.expire_ms) {
      if (on_expired) on_expired(e, arg);
      // An entry may shift into this slot: look at it again next round.
      erase_slot(cursor_);
      ++stats_.expired;
      ++freed;
      continue;
    }
    cursor_ = (cursor_ + 1) & mask_;
  }
  return freed;
}

bool UserTable::walk(std::size_t* cursor, std::size_t max_slots, void (*fn)(const UserEntry&, void*),
                     void* arg) const {
  if (!slots_) return true;
  for (std::size_t n = 0; n < max_slots && *cursor <= mask_; ++n, ++*cursor) {
    if (slots_[*cursor].ip != 0) fn(slots_[*cursor], arg);
  }
  return *cursor > mask_;
}

std::size_t UserTable::drop_stale(uint32_t generation) {
  std::size_t dropped = 0;
  for (std::size_t i = 0; slots_ && i <= mask_;) {
    const UserEntry& e = slots_[i];
    if (e.ip != 0 && e.synced && e.sync_generation != generation) {
      erase_slot(i);  // an entry may shift into slot i: look at it again
      ++stats_.removed;
      ++dropped;
      continue;
    }
    ++i;
  }
  return dropped;
}

std::size_t UserTable::adopt_synced() {
  std::size_t n = 0;
  for (std::size_t i = 0; slots_ && i <= mask_; ++i) {
    if (slots_[i].ip != 0 && slots_[i].synced) {
      slots_[i].synced = false;
      ++n;
    }
  }
  return n;
}

void UserTable::for_each(void (*fn)(const UserEntry&, void*), void* arg) const {
  for (std::size_t i = 0; slots_ && i <= mask_; ++i) {
    if (slots_[i].ip != 0) fn(slots_[i], arg);
  }
}

}  // namespace tandem::dp
