// Typed values of `set` lines: parsing the words an operator typed into
// canonical words, and printing canonical words back in `show` form. Used
// by the parser, show and node_config; one function per direction, keyed
// on the schema's ValueType.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/schema_types.h"
#include "controlplane/config/tokenize.h"
#include "dataplane/user/user_password.h"

namespace tandem::config {

struct ValueError {
  std::size_t token = 0;  // index into the value tokens of the fault
  std::string message;
};

// Canonical words of `set <key> <tokens...>` (tokens excludes the key), or
// the error. Never throws.
std::optional<ValueError> parse_value(const KeySchema& key, std::span<const Token> tokens,
                                      std::vector<std::string>* words);

// Appends " word word..." in show form: strings quoted, the rest bare.
void format_value(const KeySchema& key, const std::vector<std::string>& words, std::string* out);

// A double-quoted string with \" \\ \n escapes.
std::string quote(std::string_view text);

// base64(SHA-256(plaintext)): how passwords are stored and shown.
std::string hash_password(std::string_view plaintext);

// User passwords (`config user local` passwd), in the scheme of
// dataplane/user/user_password.h (PBKDF2-HMAC-SHA256, random salt, the
// word "PB2$<iterations>$<salt>$<key>"), which the proxy verifies with.
std::string hash_user_password(std::string_view plaintext, unsigned iterations = dp::kUserPasswordIterations);
bool valid_user_password_hash(std::string_view word);
bool verify_user_password(std::string_view word, std::string_view plaintext);

bool parse_ipv4(std::string_view text, std::uint32_t* host_order);
std::string format_ipv4(std::uint32_t host_order);
// Prefix length of a contiguous netmask; nullopt when not contiguous.
std::optional<int> netmask_prefix(std::uint32_t mask);
std::uint32_t prefix_netmask(int prefix_len);

// One FortiOS service port spec, "80", "8000-8080" or "443:1024-65535":
// destination range, then optionally ':' and the source range. Without a
// source range the source is any port (0..65535). Host order.
struct PortRangeSpec {
  std::uint16_t dst_lo = 0, dst_hi = 0, src_lo = 0, src_hi = 0;
  bool operator==(const PortRangeSpec&) const = default;
};
inline constexpr std::uint16_t kMaxPort = 65535;
std::optional<PortRangeSpec> parse_port_range(std::string_view text);
// Canonical text: single ports without "-", the any-source range left out.
std::string format_port_range(const PortRangeSpec& spec);

// Parses a decimal integer within lo..hi.
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t lo, std::int64_t hi);

}  // namespace tandem::config
