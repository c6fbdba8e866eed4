#include "dataplane/policy/url_map.h"

#include <cstdio>
#include <vector>

namespace tandem::dp {
namespace {

// Every url-map only needs to be reported once per scan, and a pattern such
// as `*` (or a regex like `a*`) legitimately matches the empty path.
constexpr unsigned kFlags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
constexpr unsigned kWildcardFlags = kFlags | HS_FLAG_DOTALL;

unsigned flags_for(UrlMapType type) {
  return type == UrlMapType::kWildcard ? kWildcardFlags : kFlags;
}

bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// \xHH for anything that is not alphanumeric: no character of a URL (or a
// NUL) can then act as a regex metacharacter.
void append_literal(std::string* out, char c) {
  if (is_plain(c)) {
    out->push_back(c);
    return;
  }
  char hex[5];
  std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
  out->append(hex);
}

struct MatchState {
  int lowest_id;
  uint64_t mask;
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned int /*flags*/, void* context) {
  auto* state = static_cast<MatchState*>(context);
  if (state->lowest_id < 0 || static_cast<int>(id) < state->lowest_id)
    state->lowest_id = static_cast<int>(id);
  if (id < 64) state->mask |= uint64_t{1} << id;
  return 0;  // keep scanning: a lower id may still match
}

// One scan of `path`: every match and the lowest id; none without a
// database or when the scan fails.
MatchState scan(const hs_database_t* db, hs_scratch_t* scratch, std::string_view path) {
  MatchState state{-1, 0};
  if (db == nullptr) return state;
  // Hyperscan wants a non-null buffer even for an empty path.
  const char* data = path.empty() ? "" : path.data();
  if (hs_scan(db, data, static_cast<unsigned>(path.size()), 0, scratch, on_match, &state) != HS_SUCCESS)
    return MatchState{-1, 0};
  return state;
}

void set_error(std::string* error, const std::string& text) {
  if (error != nullptr) *error = text;
}

}  // namespace

std::string UrlMap::to_expression(std::string_view pattern, UrlMapType type) {
  std::string expr;
  switch (type) {
    case UrlMapType::kSubString:
      for (char c : pattern) append_literal(&expr, c);
      break;
    case UrlMapType::kWildcard:
      expr = "^";
      for (char c : pattern) {
        if (c == '*')
          expr += ".*";
        else if (c == '?')
          expr += ".";
        else
          append_literal(&expr, c);
      }
      expr += "\\z";
      break;
    case UrlMapType::kRegex:
      expr.assign(pattern);
      break;
  }
  return expr;
}

bool UrlMap::validate(std::string_view pattern, UrlMapType type, std::string* error) {
  std::string expr = to_expression(pattern, type);
  hs_database_t* db = nullptr;
  hs_compile_error_t* compile_error = nullptr;
  hs_error_t rc =
      hs_compile(expr.c_str(), flags_for(type), HS_MODE_BLOCK, nullptr, &db, &compile_error);
  if (rc != HS_SUCCESS) {
    set_error(error, compile_error != nullptr ? compile_error->message : "hyperscan compile failed");
    hs_free_compile_error(compile_error);
    return false;
  }
  hs_free_database(db);
  return true;
}

bool UrlMap::compile(const UrlMapEntry* entries, size_t nb_entries, unsigned nb_workers,
                     std::string* error) {
  if (nb_workers < 1 || nb_workers > kMaxWorkers) {
    set_error(error, "worker count " + std::to_string(nb_workers) + " is outside 1.." +
                         std::to_string(kMaxWorkers));
    return false;
  }
  for (size_t i = 0; i < nb_entries; ++i) {
    if (entries[i].id < 0) {
      set_error(error, "url-map id " + std::to_string(entries[i].id) + " is negative");
      return false;
    }
  }
  if (nb_entries == 0) {  // Hyperscan refuses an empty set; nothing can match
    release();
    nb_workers_ = nb_workers;
    return true;
  }

  std::vector<std::string> exprs;
  std::vector<const char*> expr_ptrs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  exprs.reserve(nb_entries);
  for (size_t i = 0; i < nb_entries; ++i) {
    exprs.push_back(to_expression(entries[i].pattern, entries[i].type));
    flags.push_back(flags_for(entries[i].type));
    ids.push_back(static_cast<unsigned>(entries[i].id));
  }
  for (const std::string& e : exprs) expr_ptrs.push_back(e.c_str());

  hs_database_t* db = nullptr;
  hs_compile_error_t* compile_error = nullptr;
  hs_error_t rc = hs_compile_multi(expr_ptrs.data(), flags.data(), ids.data(),
                                   static_cast<unsigned>(nb_entries), HS_MODE_BLOCK, nullptr, &db,
                                   &compile_error);
  if (rc != HS_SUCCESS) {
    std::string text = compile_error != nullptr ? compile_error->message : "compile failed";
    if (compile_error != nullptr && compile_error->expression >= 0 &&
        static_cast<size_t>(compile_error->expression) < nb_entries) {
      const UrlMapEntry& bad = entries[compile_error->expression];
      text = "url-map " + std::to_string(bad.id) + " \"" + std::string(bad.pattern) +
             "\": " + text;
    }
    set_error(error, text);
    hs_free_compile_error(compile_error);
    return false;
  }

  hs_scratch_t* scratch[kMaxWorkers] = {};
  bool ok = hs_alloc_scratch(db, &scratch[0]) == HS_SUCCESS;
  for (unsigned i = 1; ok && i < nb_workers; ++i)
    ok = hs_clone_scratch(scratch[0], &scratch[i]) == HS_SUCCESS;
  if (!ok) {
    for (hs_scratch_t* s : scratch) hs_free_scratch(s);
    hs_free_database(db);
    set_error(error, "out of memory for Hyperscan scratch");
    return false;
  }

  release();
  database_ = db;
  for (unsigned i = 0; i < nb_workers; ++i) scratch_[i] = scratch[i];
  nb_workers_ = nb_workers;
  nb_entries_ = nb_entries;
  return true;
}

int UrlMap::match(std::string_view path, unsigned worker) const {
  return worker < nb_workers_ ? scan(database_, scratch_[worker], path).lowest_id : -1;
}

uint64_t UrlMap::match_mask(std::string_view path, unsigned worker) const {
  return worker < nb_workers_ ? scan(database_, scratch_[worker], path).mask : 0;
}

void UrlMap::release() {
  for (hs_scratch_t*& s : scratch_) {
    hs_free_scratch(s);  // accepts nullptr
    s = nullptr;
  }
  hs_free_database(database_);
  database_ = nullptr;
  nb_workers_ = 0;
  nb_entries_ = 0;
}

UrlMap::~UrlMap() { release(); }

}  // namespace tandem::dp
