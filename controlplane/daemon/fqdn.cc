#include "controlplane/daemon/fqdn.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

namespace tandem::daemon {

bool fqdn_system_resolve(const std::string& name, std::vector<uint32_t>* addrs_be, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    *error = gai_strerror(rc);
    return false;
  }
  addrs_be->clear();
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    uint32_t ip = reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr;
    if (std::find(addrs_be->begin(), addrs_be->end(), ip) == addrs_be->end()) addrs_be->push_back(ip);
  }
  freeaddrinfo(list);
  if (addrs_be->empty()) {
    *error = "no IPv4 address";
    return false;
  }
  return true;
}

FqdnResolver::FqdnResolver(FqdnResolveFn resolve, std::chrono::milliseconds refresh)
    : resolve_(std::move(resolve)), refresh_(refresh) {}

FqdnResolver::~FqdnResolver() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FqdnResolver::set_names(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool added = false;
  for (const std::string& n : names) {
    if (entries_.count(n) != 0) continue;
    FqdnEntry e;
    e.name = n;
    e.id = next_id_++;
    e.error = "not resolved yet";
    entries_.emplace(n, std::move(e));
    added = true;
  }
  std::erase_if(entries_, [&](const auto& kv) {
    return std::find(names.begin(), names.end(), kv.first) == names.end();
  });
  if (entries_.empty()) return;
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  if (added) {
    due_ = true;
    wake_.notify_all();
  }
}

void FqdnResolver::refresh() {
  std::lock_guard<std::mutex> lock(mutex_);
  due_ = true;
  wake_.notify_all();
}

bool FqdnResolver::take_changed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(changed_, false);
}

std::vector<uint32_t> FqdnResolver::addresses(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(name);
  return it == entries_.end() ? std::vector<uint32_t>{} : it->second.addrs_be;
}

std::vector<FqdnEntry> FqdnResolver::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<FqdnEntry> out;
  for (const auto& [name, e] : entries_) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const FqdnEntry& a, const FqdnEntry& b) { return a.id < b.id; });
  return out;
}

void FqdnResolver::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, refresh_, [this] { return stop_ || due_; });
    if (stop_) break;
    due_ = false;
    std::vector<std::string> names;
    for (const auto& [name, e] : entries_) names.push_back(name);
    // The lookups run unlocked: a slow DNS server must not hold up the
    // control lcore's first() and entries().
    lock.unlock();
    std::vector<std::pair<std::vector<uint32_t>, std::string>> answers;
    for (const std::string& n : names) {
      std::vector<uint32_t> addrs;
      std::string error;
      if (!resolve_(n, &addrs, &error)) addrs.clear();
      answers.emplace_back(std::move(addrs), std::move(error));
    }
    lock.lock();
    const auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < names.size(); ++i) {
      auto it = entries_.find(names[i]);
      if (it == entries_.end()) continue;  // forgotten meanwhile
      FqdnEntry& e = it->second;
      if (e.addrs_be != answers[i].first) changed_ = true;
      e.addrs_be = std::move(answers[i].first);
      e.error = e.addrs_be.empty() ? answers[i].second : std::string();
      e.resolved_once = true;
      e.resolved_at = now;
    }
  }
}

}  // namespace tandem::daemon
