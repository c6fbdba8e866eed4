#include "controlplane/config/value.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "controlplane/config/schema.h"
#include "dataplane/user/user_password.h"

namespace tandem::config {
namespace {

using Words = std::vector<std::string>;

std::optional<ValueError> fail(std::size_t token, std::string message) {
  return ValueError{token, std::move(message)};
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += sep;
    out += w;
  }
  return out;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool all_of_set(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

// Interface names as Linux knows them: 1..15 bytes, no '/' or spaces.
bool is_ifname(std::string_view s) {
  return !s.empty() && s.size() <= 15 && s.find_first_of("/ \t\n:") == std::string_view::npos;
}

// "0000:03:00.0" or "03:00.0"; canonical is the long lower-case form.
std::optional<std::string> canonical_pci(std::string_view s) {
  std::string text(s);
  if (text.size() == 7) text = "0000:" + text;
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') return {};
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!is_hex(text[i])) return {};
  }
  if (text[11] < '0' || text[11] > '7') return {};
  for (char& c : text) c = lower(c);
  return text;
}

std::optional<std::string> canonical_device(std::string_view s) {
  if (s.empty()) return std::string();
  if (auto pci = canonical_pci(s)) return pci;
  for (std::string_view prefix : {"af_xdp:", "af_packet:", "kernel:"}) {
    if (s.starts_with(prefix)) {
      if (!is_ifname(s.substr(prefix.size()))) return {};
      return std::string(s);
    }
  }
  if (s.starts_with("net_") && s.size() > 4 && s.find_first_of(" \t\n") == std::string_view::npos) {
    return std::string(s);
  }
  return {};
}

bool valid_cpu_list(std::string_view s) {
  constexpr std::int64_t kMaxCpu = 1023;
  if (s.empty()) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    std::string_view item = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    std::size_t dash = item.find('-');
    auto lo = parse_integer(item.substr(0, dash), 0, kMaxCpu);
    if (!lo) return false;
    if (dash != std::string_view::npos) {
      auto hi = parse_integer(item.substr(dash + 1), 0, kMaxCpu);
      if (!hi || *hi < *lo) return false;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

std::optional<std::string> canonical_mac(std::string_view s) {
  if (s.size() != 17) return {};
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':' && s[i] != '-') return {};
      out += ':';
    } else {
      if (!is_hex(s[i])) return {};
      out += lower(s[i]);
    }
  }
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

// One value word: a string of at most max bytes.
std::optional<ValueError> check_string(const Token& t, std::size_t index, std::int64_t max) {
  if (static_cast<std::int64_t>(t.text.size()) > max) {
    return fail(index, "string of " + std::to_string(t.text.size()) + " bytes is too long (at most " +
                           std::to_string(max) + ")");
  }
  return {};
}

std::optional<ValueError> one_word(const KeySchema& key, std::span<const Token> tokens) {
  if (tokens.size() != 1) {
    return fail(1, "too many values for " + key.name + " (expected " + expected_form(key) + ")");
  }
  return {};
}

std::optional<ValueError> parse_ipv4_mask(std::span<const Token> tokens, Words* words) {
  std::uint32_t ip = 0, mask = 0;
  const std::string& first = tokens[0].text;
  std::size_t slash = first.find('/');
  if (slash != std::string::npos) {
    if (tokens.size() != 1) return fail(1, "unexpected netmask after a /prefix address");
    if (!parse_ipv4(std::string_view(first).substr(0, slash), &ip)) {
      return fail(0, "\"" + first + "\" is not an IPv4 address/prefix (expected a.b.c.d/len)");
    }
    auto len = parse_integer(std::string_view(first).substr(slash + 1), 0, 32);
    if (!len) return fail(0, "prefix length in \"" + first + "\" is not 0..32");
    mask = prefix_netmask(static_cast<int>(*len));
  } else {
    if (!parse_ipv4(first, &ip)) {
      return fail(0, "\"" + first + "\" is not an IPv4 address (expected a.b.c.d m.m.m.m or a.b.c.d/len)");
    }
    if (tokens.size() != 2) {
      return fail(tokens.size() < 2 ? 0 : 2,
                  tokens.size() < 2 ? "missing netmask (expected a.b.c.d m.m.m.m or a.b.c.d/len)"
                                    : "too many values (expected a.b.c.d m.m.m.m or a.b.c.d/len)");
    }
    if (!parse_ipv4(tokens[1].text, &mask)) {
      return fail(1, "\"" + tokens[1].text + "\" is not a netmask (expected m.m.m.m)");
    }
    if (!netmask_prefix(mask)) {
      return fail(1, "netmask " + tokens[1].text + " is not contiguous");
    }
  }
  *words = {format_ipv4(ip), format_ipv4(mask)};
  return {};
}

// "lo" or "lo-hi" with lo <= hi, both 0..65535.
bool parse_port_span(std::string_view text, std::uint16_t* lo, std::uint16_t* hi) {
  std::size_t dash = text.find('-');
  auto a = parse_integer(text.substr(0, dash), 0, kMaxPort);
  if (!a) return false;
  auto b = dash == std::string_view::npos ? a : parse_integer(text.substr(dash + 1), 0, kMaxPort);
  if (!b || *b < *a) return false;
  *lo = static_cast<std::uint16_t>(*a);
  *hi = static_cast<std::uint16_t>(*b);
  return true;
}

std::string format_port_span(std::uint16_t lo, std::uint16_t hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

}  // namespace

std::optional<PortRangeSpec> parse_port_range(std::string_view text) {
  PortRangeSpec spec{0, 0, 0, kMaxPort};
  std::size_t colon = text.find(':');
  if (!parse_port_span(text.substr(0, colon), &spec.dst_lo, &spec.dst_hi)) return {};
  if (colon != std::string_view::npos && !parse_port_span(text.substr(colon + 1), &spec.src_lo, &spec.src_hi)) {
    return {};
  }
  return spec;
}

std::string format_port_range(const PortRangeSpec& spec) {
  std::string out = format_port_span(spec.dst_lo, spec.dst_hi);
  if (spec.src_lo != 0 || spec.src_hi != kMaxPort) out += ":" + format_port_span(spec.src_lo, spec.src_hi);
  return out;
}

std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t lo, std::int64_t hi) {
  if (text.empty() || text.size() > 19) return {};
  if (!all_of_set(text, [](char c) { return c >= '0' && c <= '9'; })) return {};
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return {};
  return v;
}

bool parse_ipv4(std::string_view text, std::uint32_t* host_order) {
  std::uint32_t out = 0;
  for (int part = 0; part < 4; ++part) {
    std::size_t dot = text.find('.');
    std::string_view octet = part < 3 ? text.substr(0, dot) : text;
    if (part < 3 && dot == std::string_view::npos) return false;
    if (octet.empty() || octet.size() > 3) return false;
    auto v = parse_integer(octet, 0, 255);
    if (!v) return false;
    out = (out << 8) | static_cast<std::uint32_t>(*v);
    if (part < 3) text.remove_prefix(dot + 1);
  }
  *host_order = out;
  return true;
}

std::string format_ipv4(std::uint32_t a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  return buf;
}

std::optional<int> netmask_prefix(std::uint32_t mask) {
  std::uint32_t inverted = ~mask;
  if ((inverted & (inverted + 1)) != 0) return {};  // ones must be contiguous from the top
  int len = 0;
  while (len < 32 && (mask & (0x80000000u >> len))) ++len;
  return len;
}

std::uint32_t prefix_netmask(int prefix_len) {
  return prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_len);
}

std::string hash_password(std::string_view plaintext) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(plaintext.data(), plaintext.size(), digest, &digest_len, EVP_sha256(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(n));
}

std::string hash_user_password(std::string_view plaintext, unsigned iterations) {
  char word[dp::kUserPasswordHashMax + 1];
  std::size_t n = dp::user_password_hash(plaintext, iterations, word, sizeof word);
  return std::string(word, n);
}

bool valid_user_password_hash(std::string_view word) { return dp::user_password_valid(word); }

bool verify_user_password(std::string_view word, std::string_view plaintext) {
  return dp::user_password_verify(word, plaintext);
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::optional<ValueError> parse_value(const KeySchema& key, std::span<const Token> tokens,
                                      Words* words) {
  if (tokens.empty()) {
    return fail(0, "missing value for " + key.name + " (expected " + expected_form(key) + ")");
  }
  const std::string& first = tokens[0].text;
  switch (key.type) {
    case ValueType::kString:
      if (auto e = one_word(key, tokens)) return e;
      if (auto e = check_string(tokens[0], 0, key.max)) return e;
      *words = {first};
      return {};
    case ValueType::kInteger: {
      if (auto e = one_word(key, tokens)) return e;
      if (first.empty() || first.size() > 19 ||
          !all_of_set(first, [](char c) { return c >= '0' && c <= '9'; })) {
        return fail(0, "\"" + first + "\" is not a number (expected " + expected_form(key) + ")");
      }
      auto v = parse_integer(first, key.min, key.max);
      if (!v) {
        return fail(0, key.name + " " + first + " out of range " + std::to_string(key.min) + ".." +
                           std::to_string(key.max));
      }
      *words = {std::to_string(*v)};
      return {};
    }
    case ValueType::kEnum:
    case ValueType::kEnableDisable: {
      if (auto e = one_word(key, tokens)) return e;
      std::vector<std::string> choices =
          key.type == ValueType::kEnum ? key.choices : std::vector<std::string>{"enable", "disable"};
      if (std::find(choices.begin(), choices.end(), first) == choices.end()) {
        std::string hint = closest_name(first, choices);
        return fail(0, "invalid " + key.name + " \"" + first + "\" (expected " + join(choices, "|") +
                           ")" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
      }
      *words = {first};
      return {};
    }
    case ValueType::kIpv4: {
      if (auto e = one_word(key, tokens)) return e;
      std::uint32_t ip;
      if (!parse_ipv4(first, &ip)) {
        return fail(0, "\"" + first + "\" is not an IPv4 address (expected a.b.c.d)");
      }
      *words = {format_ipv4(ip)};
      return {};
    }
    case ValueType::kIpv4Mask:
      return parse_ipv4_mask(tokens, words);
    case ValueType::kWordList:
    case ValueType::kNameList: {
      Words out;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string& w = tokens[i].text;
        if (key.type == ValueType::kWordList &&
            std::find(key.choices.begin(), key.choices.end(), w) == key.choices.end()) {
          return fail(i, "invalid " + key.name + " \"" + w + "\" (expected any of " +
                             join(key.choices, " ") + ")");
        }
        if (key.type == ValueType::kNameList) {
          if (w.empty()) return fail(i, "empty name in " + key.name);
          if (auto e = check_string(tokens[i], i, key.max)) return e;
        }
        if (std::find(out.begin(), out.end(), w) != out.end()) {
          return fail(i, "\"" + w + "\" listed twice in " + key.name);
        }
        out.push_back(w);
      }
      *words = std::move(out);
      return {};
    }
    case ValueType::kHbdevList: {
      Words out;
      for (std::size_t i = 0; i < tokens.size(); i += 2) {
        const std::string& name = tokens[i].text;
        if (name.empty()) return fail(i, "empty interface name in hbdev");
        if (auto e = check_string(tokens[i], i, 15)) return e;
        if (i + 1 >= tokens.size()) {
          return fail(i, "missing priority after hbdev \"" + name + "\" (expected \"name\" priority pairs)");
        }
        auto prio = parse_integer(tokens[i + 1].text, key.min, key.max);
        if (!prio) {
          return fail(i + 1, "hbdev priority " + tokens[i + 1].text + " out of range " +
                                 std::to_string(key.min) + ".." + std::to_string(key.max));
        }
        for (std::size_t k = 0; k < out.size(); k += 2) {
          if (out[k] == name) return fail(i, "\"" + name + "\" listed twice in hbdev");
        }
        out.push_back(name);
        out.push_back(std::to_string(*prio));
      }
      *words = std::move(out);
      return {};
    }
    case ValueType::kPassword: {
      // `ENC <hash>` keeps a hash that show printed; a single word is the
      // plaintext (the FortiOS doc example `set password ENC` included).
      if (tokens.size() == 2 && first == "ENC" && !tokens[0].quoted) {
        const std::string& hash = tokens[1].text;
        constexpr std::size_t kMaxHash = 256;
        if (hash.empty() || hash.size() > kMaxHash || !all_of_set(hash, is_base64_char)) {
          return fail(1, "invalid password hash (expected the base64 text `show` prints after ENC)");
        }
        *words = {"ENC", hash};
        return {};
      }
      if (auto e = one_word(key, tokens)) return e;
      constexpr std::int64_t kMaxPassword = 128;
      if (auto e = check_string(tokens[0], 0, kMaxPassword)) return e;
      if (first.empty()) {
        *words = {};
      } else {
        *words = {"ENC", hash_password(first)};
      }
      return {};
    }
    case ValueType::kUserPassword: {
      // As kPassword, with a salted PBKDF2 hash: plaintext is hashed here,
      // so it never reaches the stored tree, show or config sync.
      if (tokens.size() == 2 && first == "ENC" && !tokens[0].quoted) {
        if (!valid_user_password_hash(tokens[1].text)) {
          return fail(1, "invalid password hash (expected PB2$<iterations>$<salt>$<key> as `show` prints it)");
        }
        *words = {"ENC", tokens[1].text};
        return {};
      }
      if (auto e = one_word(key, tokens)) return e;
      constexpr std::int64_t kMaxPassword = 128;
      if (auto e = check_string(tokens[0], 0, kMaxPassword)) return e;
      if (first.empty()) {
        *words = {};
        return {};
      }
      std::string hash = hash_user_password(first);
      if (hash.empty()) return fail(0, "cannot hash the password (no random source)");
      *words = {"ENC", std::move(hash)};
      return {};
    }
    case ValueType::kMac: {
      if (auto e = one_word(key, tokens)) return e;
      auto mac = canonical_mac(first);
      if (!mac) return fail(0, "\"" + first + "\" is not a MAC address (expected xx:xx:xx:xx:xx:xx)");
      *words = {*mac};
      return {};
    }
    case ValueType::kCpuList:
      if (auto e = one_word(key, tokens)) return e;
      if (!valid_cpu_list(first)) {
        return fail(0, "\"" + first + "\" is not a CPU list (expected e.g. 0,1 or 0-3)");
      }
      *words = {first};
      return {};
    case ValueType::kPortRangeList: {
      Words out;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto spec = parse_port_range(tokens[i].text);
        if (!spec) {
          return fail(i, "\"" + tokens[i].text + "\" is not a port range (expected " + expected_form(key) + ")");
        }
        std::string canonical = format_port_range(*spec);
        if (std::find(out.begin(), out.end(), canonical) != out.end()) {
          return fail(i, "\"" + tokens[i].text + "\" listed twice in " + key.name);
        }
        out.push_back(std::move(canonical));
      }
      *words = std::move(out);
      return {};
    }
    case ValueType::kDevice: {
      if (auto e = one_word(key, tokens)) return e;
      auto device = canonical_device(first);
      if (!device) {
        return fail(0, "\"" + first + "\" is not a device (expected " + expected_form(key) + ")");
      }
      *words = {*device};
      return {};
    }
  }
  return fail(0, "unsupported value type");
}

namespace {

// A bare word the tokenizer would read back differently gets quoted.
bool needs_quotes(std::string_view w) {
  if (w.empty() || is_command_keyword(w)) return true;
  for (char c : w) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '#' || c == ' ' || u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

void append_word(std::string_view w, bool quoted, std::string* out) {
  *out += ' ';
  *out += (quoted || needs_quotes(w)) ? quote(w) : std::string(w);
}

}  // namespace

void format_value(const KeySchema& key, const Words& words, std::string* out) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    bool quoted = key.type == ValueType::kString || key.type == ValueType::kNameList ||
                  key.type == ValueType::kDevice || key.type == ValueType::kCpuList ||
                  (key.type == ValueType::kHbdevList && i % 2 == 0);
    append_word(words[i], quoted, out);
  }
}

}  // namespace tandem::config
