#include "dataplane/http/http_fields.h"

namespace tandem::dp::http::detail {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// field-vchar / SP / HTAB; obs-text (0x80..0xff) is allowed as RFC 9110
// requires recipients to, but it is never interpreted.
bool is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// Calls fn(element) for each non-empty, trimmed element of a
// comma-separated list; stops and returns false when fn does.
template <typename Fn>
bool for_each_element(std::string_view list, Fn fn) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view element = trim(list.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

// Content-Length: 1DIGIT.. without sign or list; copies must agree.
Status content_length(std::string_view value, Fields* f) {
  constexpr std::size_t kMaxDigits = 18;  // below 2^63 whatever the digits
  if (value.empty() || value.size() > kMaxDigits) return Status::kBadContentLength;
  uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return Status::kBadContentLength;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (f->has_content_length && f->content_length != v) return Status::kBadContentLength;
  f->has_content_length = true;
  f->content_length = v;
  return Status::kDone;
}

Status transfer_encoding(std::string_view value, bool is_request, Fields* f) {
  Status s = Status::kDone;
  for_each_element(value, [&](std::string_view coding) {
    // chunked must be applied last and once (RFC 9112 section 6.1).
    if (f->chunked) {
      s = Status::kBadTransferEncoding;
      return false;
    }
    if (iequals(coding, "chunked")) {
      f->chunked = true;
    } else if (is_request || !is_token(coding)) {
      s = Status::kBadTransferEncoding;
      return false;
    }
    return true;
  });
  f->has_transfer_encoding = true;
  return s;
}

void connection(std::string_view value, Fields* f) {
  for_each_element(value, [&](std::string_view option) {
    if (iequals(option, "close")) f->connection_close = true;
    if (iequals(option, "keep-alive")) f->connection_keep_alive = true;
    if (iequals(option, "upgrade")) f->connection_upgrade = true;
    return true;
  });
}

void upgrade(std::string_view value, Fields* f) {
  for_each_element(value, [&](std::string_view protocol) {
    if (iequals(protocol.substr(0, protocol.find('/')), "websocket")) f->upgrade_websocket = true;
    return true;
  });
}

}  // namespace

bool is_token_char(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Status scan_head(std::string_view buf, std::size_t* scanned, std::size_t* head_bytes) {
  // Every byte is judged by looking back only, so a CR that ends one feed
  // is checked when its successor arrives in the next.
  for (std::size_t i = *scanned; i < buf.size(); ++i) {
    bool after_cr = i > 0 && buf[i - 1] == '\r';
    if (buf[i] == '\n') {
      if (!after_cr) return Status::kBadLineEnding;
      if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
        *head_bytes = i + 1;
        return *head_bytes > kMaxHeadBytes ? Status::kHeadTooLarge : Status::kDone;
      }
    } else if (after_cr) {
      return Status::kBadLineEnding;
    }
  }
  *scanned = buf.size();
  return buf.size() >= kMaxHeadBytes ? Status::kHeadTooLarge : Status::kNeedMore;
}

Status parse_version(std::string_view text, uint8_t* minor) {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || text[6] != '.' || text[5] < '0' || text[5] > '9' ||
      text[7] < '0' || text[7] > '9') {
    return Status::kBadVersion;
  }
  if (text[5] != '1' || text[7] > '1') return Status::kUnsupportedVersion;
  *minor = static_cast<uint8_t>(text[7] - '0');
  return Status::kDone;
}

Status parse_fields(std::string_view lines, bool is_request, Fields* f) {
  while (!lines.empty()) {
    std::size_t end = lines.find("\r\n");
    if (end == std::string_view::npos) return Status::kBadLineEnding;
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 2);
    if (line.empty()) return Status::kBadLineEnding;  // the caller strips the final CRLF
    if (is_ows(line.front())) return Status::kObsoleteLineFolding;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Status::kBadHeaderName;
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return Status::kBadHeaderName;
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value) {
      if (!is_value_char(static_cast<unsigned char>(c))) return Status::kBadHeaderValue;
    }
    if (f->count == kMaxHeaders) return Status::kTooManyHeaders;
    f->headers[f->count++] = {name, value};

    Status s = Status::kDone;
    if (iequals(name, "content-length")) {
      s = content_length(value, f);
    } else if (iequals(name, "transfer-encoding")) {
      s = transfer_encoding(value, is_request, f);
    } else if (iequals(name, "connection")) {
      connection(value, f);
    } else if (iequals(name, "upgrade")) {
      upgrade(value, f);
    }
    if (s != Status::kDone) return s;
  }
  if (f->has_content_length && f->has_transfer_encoding) return Status::kContentLengthAndChunked;
  return Status::kDone;
}

}  // namespace tandem::dp::http::detail
