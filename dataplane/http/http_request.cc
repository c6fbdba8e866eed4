// The request head: request line, field lines, and what the proxy decides
// from them (framing, keep-alive, WebSocket, Host, Basic credentials).
#include "dataplane/http/http.h"
#include "dataplane/http/http_fields.h"

namespace tandem::dp::http {
using detail::iequals;
namespace {

Method method_of(std::string_view m) {
  struct Known {
    std::string_view text;
    Method method;
  };
  static constexpr Known kKnown[] = {
      {"GET", Method::kGet},         {"HEAD", Method::kHead},       {"POST", Method::kPost},
      {"PUT", Method::kPut},         {"DELETE", Method::kDelete},   {"CONNECT", Method::kConnect},
      {"OPTIONS", Method::kOptions}, {"TRACE", Method::kTrace},     {"PATCH", Method::kPatch},
  };
  for (const Known& k : kKnown) {
    if (k.text == m) return k.method;  // methods are case-sensitive
  }
  return Method::kOther;
}

bool is_target_char(unsigned char c) { return c >= 0x21 && c <= 0x7e; }

// uri-host [":" port]: reg-name, IPv4 or a bracketed IP literal.
bool is_host_char(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(':
    case ')': case '*': case '+': case ',': case ';': case '=': case ':': case '[': case ']': case '%':
      return true;
    default:
      return false;
  }
}

// "Basic" SP+ token68, scheme case-insensitive.
std::string_view basic_token(std::string_view value) {
  constexpr std::string_view kScheme = "basic";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme) ||
      value[kScheme.size()] != ' ') {
    return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

Status parse_request_line(std::string_view line, RequestHead* out) {
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Status::kBadMethod;
  out->method_text = line.substr(0, sp1);
  if (!detail::is_token(out->method_text)) return Status::kBadMethod;
  out->method = method_of(out->method_text);
  std::string_view rest = line.substr(sp1 + 1);
  std::size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return Status::kBadVersion;
  out->target = rest.substr(0, sp2);
  if (out->target.empty()) return Status::kBadTarget;
  for (char c : out->target) {
    if (!is_target_char(static_cast<unsigned char>(c))) return Status::kBadTarget;
  }
  return detail::parse_version(rest.substr(sp2 + 1), &out->version_minor);
}

Status finish(RequestHead* h) {
  for (std::size_t i = 0; i < h->fields.count; ++i) {
    const Header& f = h->fields.headers[i];
    if (iequals(f.name, "host")) {
      if (h->has_host) return Status::kDuplicateHost;
      for (char c : f.value) {
        if (!is_host_char(static_cast<unsigned char>(c))) return Status::kBadHost;
      }
      h->host = f.value;
      h->has_host = true;
    } else if (iequals(f.name, "authorization") && h->basic_credentials.empty()) {
      h->basic_credentials = basic_token(f.value);
    }
  }
  if (h->version_minor == 1 && !h->has_host) return Status::kMissingHost;
  const Fields& f = h->fields;
  // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has
  // faulty framing.
  if (f.has_transfer_encoding && h->version_minor == 0) return Status::kBadTransferEncoding;
  if (f.chunked) {
    h->framing = BodyFraming::kChunked;
  } else if (f.has_content_length && f.content_length > 0) {
    h->framing = BodyFraming::kLength;
  } else {
    h->framing = BodyFraming::kNone;
  }
  h->keep_alive = !f.connection_close && (h->version_minor == 1 || f.connection_keep_alive);
  h->websocket = h->method == Method::kGet && h->version_minor == 1 && f.connection_upgrade && f.upgrade_websocket;
  return Status::kDone;
}

Status parse_complete(std::string_view text, std::size_t head_bytes, RequestHead* out) {
  *out = RequestHead();
  out->head_bytes = head_bytes;
  std::string_view head = text.substr(0, head_bytes - 2);  // keeps the last field line's CRLF
  std::size_t eol = head.find("\r\n");
  if (Status s = parse_request_line(head.substr(0, eol), out); s != Status::kDone) return s;
  if (Status s = detail::parse_fields(head.substr(eol + 2), true, &out->fields); s != Status::kDone) return s;
  return finish(out);
}

}  // namespace

Status RequestParser::feed(std::string_view buffered) {
  if (last_ != Status::kNeedMore) return last_;
  std::size_t head_bytes = 0;
  last_ = detail::scan_head(buffered, &scanned_, &head_bytes);
  if (last_ == Status::kDone) last_ = parse_complete(buffered, head_bytes, &head_);
  return last_;
}

Status parse_request_head(std::string_view text, RequestHead* out) {
  std::size_t scanned = 0, head_bytes = 0;
  Status s = detail::scan_head(text, &scanned, &head_bytes);
  if (s != Status::kDone) return s;
  return parse_complete(text, head_bytes, out);
}

}  // namespace tandem::dp::http
