// The response head a real server sends back: status line, field lines,
// and how its body is delimited (RFC 9112 section 6.3, in order).
#include "dataplane/http/http.h"
#include "dataplane/http/http_fields.h"

namespace tandem::dp::http {
namespace {

constexpr uint16_t kSwitchingProtocols = 101;
constexpr uint16_t kNoContent = 204;
constexpr uint16_t kNotModified = 304;

Status parse_status_line(std::string_view line, ResponseHead* out) {
  std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return Status::kBadStatusLine;
  if (Status s = detail::parse_version(line.substr(0, sp), &out->version_minor); s != Status::kDone) return s;
  std::string_view rest = line.substr(sp + 1);
  if (rest.size() < 3) return Status::kBadStatusLine;
  uint16_t code = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return Status::kBadStatusLine;
    code = static_cast<uint16_t>(code * 10 + (rest[i] - '0'));
  }
  if (code < 100 || code > 599) return Status::kBadStatusLine;
  out->status = code;
  // The reason phrase is optional but its SP is not; servers that drop
  // both are common enough to accept "HTTP/1.1 200".
  if (rest.size() > 3) {
    if (rest[3] != ' ') return Status::kBadStatusLine;
    out->reason = rest.substr(4);
    for (char c : out->reason) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u != '\t' && (u < 0x20 || u == 0x7f)) return Status::kBadStatusLine;
    }
  }
  return Status::kDone;
}

Status finish(bool request_was_head, ResponseHead* h) {
  const Fields& f = h->fields;
  if (f.has_transfer_encoding && h->version_minor == 0) return Status::kBadTransferEncoding;
  bool no_body = request_was_head || h->status < 200 || h->status == kNoContent || h->status == kNotModified;
  if (no_body) {
    h->framing = BodyFraming::kNone;
  } else if (f.has_transfer_encoding) {
    h->framing = f.chunked ? BodyFraming::kChunked : BodyFraming::kUntilClose;
  } else if (f.has_content_length) {
    h->framing = f.content_length > 0 ? BodyFraming::kLength : BodyFraming::kNone;
  } else {
    h->framing = BodyFraming::kUntilClose;
  }
  h->switching_protocols = h->status == kSwitchingProtocols;
  h->keep_alive = !f.connection_close && (h->version_minor == 1 || f.connection_keep_alive) &&
                  h->framing != BodyFraming::kUntilClose;
  return Status::kDone;
}

Status parse_complete(std::string_view text, std::size_t head_bytes, bool request_was_head, ResponseHead* out) {
  *out = ResponseHead();
  out->head_bytes = head_bytes;
  std::string_view head = text.substr(0, head_bytes - 2);
  std::size_t eol = head.find("\r\n");
  if (Status s = parse_status_line(head.substr(0, eol), out); s != Status::kDone) return s;
  if (Status s = detail::parse_fields(head.substr(eol + 2), false, &out->fields); s != Status::kDone) return s;
  return finish(request_was_head, out);
}

}  // namespace

Status ResponseParser::feed(std::string_view buffered, bool request_was_head) {
  if (last_ != Status::kNeedMore) return last_;
  std::size_t head_bytes = 0;
  last_ = detail::scan_head(buffered, &scanned_, &head_bytes);
  if (last_ == Status::kDone) last_ = parse_complete(buffered, head_bytes, request_was_head, &head_);
  return last_;
}

Status parse_response_head(std::string_view text, bool request_was_head, ResponseHead* out) {
  std::size_t scanned = 0, head_bytes = 0;
  Status s = detail::scan_head(text, &scanned, &head_bytes);
  if (s != Status::kDone) return s;
  return parse_complete(text, head_bytes, request_was_head, out);
}

}  // namespace tandem::dp::http
