#include "dataplane/user/user_password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>

namespace tandem::dp {
namespace {

constexpr std::string_view kTag = "PB2";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}

// Decodes base64 of exactly `want` bytes: EVP_DecodeBlock pads its output
// to a multiple of 3, so the '=' count tells the true length.
bool unbase64(std::string_view text, unsigned char* out, std::size_t want) {
  if (text.empty() || text.size() % 4 != 0 || text.size() != 4 * ((want + 2) / 3)) return false;
  for (char c : text) {
    if (!is_base64_char(c)) return false;
  }
  unsigned char buf[48];
  int n = EVP_DecodeBlock(buf, reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  std::size_t pad = (text.back() == '=') + (text[text.size() - 2] == '=');
  if (n < 0 || static_cast<std::size_t>(n) - pad != want) return false;
  std::memcpy(out, buf, want);
  return true;
}

struct Parsed {
  unsigned iterations;
  unsigned char salt[kSaltBytes];
  unsigned char key[kKeyBytes];
};

bool parse(std::string_view word, Parsed* h) {
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    std::size_t dollar = word.find('$');
    if ((i < 3) == (dollar == std::string_view::npos)) return false;
    parts[i] = word.substr(0, dollar);
    if (i < 3) word.remove_prefix(dollar + 1);
  }
  if (parts[0] != kTag || parts[1].empty() || parts[1].size() > 8) return false;
  unsigned long iterations = 0;
  for (char c : parts[1]) {
    if (c < '0' || c > '9') return false;
    iterations = iterations * 10 + static_cast<unsigned>(c - '0');
  }
  if (iterations == 0 || iterations > kUserPasswordMaxIterations) return false;
  h->iterations = static_cast<unsigned>(iterations);
  return unbase64(parts[2], h->salt, kSaltBytes) && unbase64(parts[3], h->key, kKeyBytes);
}

bool derive(std::string_view plaintext, const unsigned char* salt, unsigned iterations, unsigned char* key) {
  return PKCS5_PBKDF2_HMAC(plaintext.data(), static_cast<int>(plaintext.size()), salt, kSaltBytes,
                           static_cast<int>(iterations), EVP_sha256(), kKeyBytes, key) == 1;
}

}  // namespace

std::size_t user_password_hash(std::string_view plaintext, unsigned iterations, char* out, std::size_t cap) {
  unsigned char salt[kSaltBytes], key[kKeyBytes];
  if (iterations == 0 || iterations > kUserPasswordMaxIterations) return 0;
  // A salt that is not random would let equal passwords show equal hashes;
  // both calls fail only without any entropy source.
  if (RAND_bytes(salt, sizeof salt) != 1 || !derive(plaintext, salt, iterations, key)) return 0;
  unsigned char salt64[4 * ((kSaltBytes + 2) / 3) + 1], key64[4 * ((kKeyBytes + 2) / 3) + 1];
  EVP_EncodeBlock(salt64, salt, sizeof salt);
  EVP_EncodeBlock(key64, key, sizeof key);
  int n = std::snprintf(out, cap, "%.*s$%u$%s$%s", static_cast<int>(kTag.size()), kTag.data(), iterations,
                        reinterpret_cast<char*>(salt64), reinterpret_cast<char*>(key64));
  return n > 0 && static_cast<std::size_t>(n) < cap ? static_cast<std::size_t>(n) : 0;
}

bool user_password_valid(std::string_view word) {
  Parsed h;
  return parse(word, &h);
}

bool user_password_verify(std::string_view word, std::string_view plaintext) {
  Parsed h;
  unsigned char key[kKeyBytes];
  if (!parse(word, &h) || !derive(plaintext, h.salt, h.iterations, key)) return false;
  return CRYPTO_memcmp(key, h.key, kKeyBytes) == 0;
}

}  // namespace tandem::dp
