// Matches request paths against the url-maps of the ZTNA api-gateways
// (`config firewall access-proxy` / `api-gateway` / `url-map`, with
// `url-map-type sub-string|wildcard|regex`). All url-maps of a config
// generation compile into one Hyperscan database; each worker scans with its
// own scratch. Config validation calls UrlMap::validate() per pattern; the
// daemon compiles one UrlMap per generation; the proxy (issue 4) calls
// match() on its worker. Semantics:
//   sub-string  the pattern appears anywhere in the path (literal)
//   wildcard    the whole path matches; `*` is any run of characters, `?` one
//   regex       Hyperscan (PCRE subset) regex, unanchored unless it anchors itself
// Never throws; match() never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <hs/hs.h>

#include "dataplane/worker/worker_types.h"

namespace tandem::dp {

enum class UrlMapType : uint8_t { kSubString, kWildcard, kRegex };

struct UrlMapEntry {
  int32_t id;  // >= 0; match() reports the lowest id that matches
  std::string_view pattern;
  UrlMapType type;
};

class UrlMap {
 public:
  UrlMap() = default;
  ~UrlMap();
  UrlMap(const UrlMap&) = delete;
  UrlMap& operator=(const UrlMap&) = delete;

  // Compiles `entries` into one database and allocates a scratch for each of
  // nb_workers (1..kMaxWorkers). On failure returns false, fills *error
  // (naming the offending pattern) and keeps the previous database.
  bool compile(const UrlMapEntry* entries, size_t nb_entries, unsigned nb_workers,
               std::string* error);

  // Lowest id among the entries matching `path`, or -1. Only worker `worker`
  // may use its scratch, so calls for one worker must not overlap.
  int match(std::string_view path, unsigned worker) const;
  // Every entry matching `path`: bit id set for ids 0..63 (higher ids are
  // not reported). Same scratch rule as match().
  uint64_t match_mask(std::string_view path, unsigned worker) const;

  unsigned nb_workers() const { return nb_workers_; }
  size_t nb_entries() const { return nb_entries_; }

  // Whether `pattern` of `type` compiles; on false *error holds Hyperscan's
  // message.
  static bool validate(std::string_view pattern, UrlMapType type, std::string* error);

  // The type a FortiOS `url-map-type` names (sub-string, the default, for
  // anything else: the config schema admits only the three).
  static UrlMapType type_named(std::string_view url_map_type) {
    if (url_map_type == "regex") return UrlMapType::kRegex;
    if (url_map_type == "wildcard") return UrlMapType::kWildcard;
    return UrlMapType::kSubString;
  }

  // The Hyperscan expression a url-map compiles to (escaped literal for
  // sub-string, anchored translation for wildcard, unchanged for regex).
  static std::string to_expression(std::string_view pattern, UrlMapType type);

 private:
  void release();

  hs_database_t* database_ = nullptr;
  hs_scratch_t* scratch_[kMaxWorkers] = {};
  unsigned nb_workers_ = 0;
  size_t nb_entries_ = 0;
};

}  // namespace tandem::dp
