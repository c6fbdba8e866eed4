// The one password scheme of `config user local` (docs/ztna.md): PBKDF2-
// HMAC-SHA256, 16-byte random salt, 32-byte key, written as the word
// "PB2$<iterations>$<salt base64>$<key base64>". The config parser hashes
// plaintext with it; the proxy checks Basic credentials with it. Verifying
// costs `iterations` HMACs (about 2.5 ms at the default on this machine),
// so it runs once per login, never per request.
#pragma once

#include <cstddef>
#include <string_view>

namespace tandem::dp {

inline constexpr unsigned kUserPasswordIterations = 10000;
inline constexpr unsigned kUserPasswordMaxIterations = 10000000;
// Longest word: tag, 8 digits, 24 + 44 base64 characters and 3 '$'.
inline constexpr std::size_t kUserPasswordHashMax = 96;

// Writes the hash word of plaintext into out (NUL-terminated); returns
// its length, 0 when out is too small or the RNG fails.
std::size_t user_password_hash(std::string_view plaintext, unsigned iterations, char* out, std::size_t cap);
// Whether word has the PB2 form (checks no password).
bool user_password_valid(std::string_view word);
// Whether plaintext hashes to word (constant-time compare of the keys).
bool user_password_verify(std::string_view word, std::string_view plaintext);

}  // namespace tandem::dp
