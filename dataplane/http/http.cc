// The helpers around the parsers: Basic credentials and the Host/SNI check.
#include "dataplane/http/http.h"


namespace tandem::dp::http {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool decode_basic_credentials(std::string_view token68, char* out, std::size_t out_size,
                              std::string_view* user, std::string_view* password) {
  // Padded base64 only (RFC 7617 uses RFC 4648 section 4): a multiple of 4
  // characters with at most two '=' at the end.
  if (token68.empty() || token68.size() % 4 != 0 || token68.size() / 4 * 3 > out_size) return false;
  std::size_t pad = 0;
  while (pad < 2 && token68[token68.size() - 1 - pad] == '=') ++pad;
  std::size_t n = 0;
  uint32_t acc = 0;
  for (std::size_t i = 0; i < token68.size() - pad; ++i) {
    int v = base64_value(token68[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (i % 4 == 3) {
      out[n++] = static_cast<char>(acc >> 16);
      out[n++] = static_cast<char>(acc >> 8);
      out[n++] = static_cast<char>(acc);
      acc = 0;
    }
  }
  if (pad == 1) {  // 3 symbols: 18 bits, 2 bytes
    out[n++] = static_cast<char>(acc >> 10);
    out[n++] = static_cast<char>(acc >> 2);
  } else if (pad == 2) {  // 2 symbols: 12 bits, 1 byte
    out[n++] = static_cast<char>(acc >> 4);
  }
  std::string_view decoded(out, n);
  std::size_t colon = decoded.find(':');
  if (colon == std::string_view::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

bool host_matches_sni(std::string_view host, std::string_view sni) {
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    host = host.substr(0, close + 1);  // SNI never carries IP literals
  } else {
    std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (!sni.empty() && sni.back() == '.') sni.remove_suffix(1);
  if (host.empty() || host.size() != sni.size()) return false;
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (lower(host[i]) != lower(sni[i])) return false;
  }
  return true;
}

}  // namespace tandem::dp::http
