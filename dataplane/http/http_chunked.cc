// The chunked transfer coding (RFC 9112 section 7.1) as a byte-at-a-time
// state machine, except chunk data, which is returned as one view per
// call. Extensions and trailer fields are skipped (bounded), never
// interpreted: the proxy relays the coded bytes and only needs to know
// where the body ends.
#include "dataplane/http/http.h"

namespace tandem::dp::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Bytes allowed inside an extension or trailer line: no controls but HTAB.
bool is_line_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

}  // namespace

Status ChunkedDecoder::feed(std::string_view in, std::size_t* consumed, std::string_view* data) {
  *data = {};
  std::size_t i = 0;
  auto fail = [&](Status s) {
    state_ = State::kError;
    *consumed = i;
    return s;
  };
  while (i < in.size()) {
    char c = in[i];
    switch (state_) {
      case State::kSize: {
        int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > kMaxChunkSizeDigits) return fail(Status::kBadChunkSize);
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
        } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
          state_ = State::kExtension;
          ext_bytes_ = 1;
        } else if (digits_ > 0 && c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return fail(Status::kBadChunkSize);
        }
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!is_line_char(c) || ++ext_bytes_ > kMaxChunkExtBytes) {
          return fail(Status::kBadChunkSize);
        }
        break;
      case State::kSizeLf:
        if (c != '\n') return fail(Status::kBadChunkSize);
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kData: {
        std::size_t n = in.size() - i;
        if (n > remaining_) n = static_cast<std::size_t>(remaining_);
        *data = in.substr(i, n);
        remaining_ -= n;
        body_bytes_ += n;
        if (remaining_ == 0) state_ = State::kDataCr;
        *consumed = i + n;
        return Status::kData;
      }
      case State::kDataCr:
        if (c != '\r') return fail(Status::kBadChunkEnd);
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return fail(Status::kBadChunkEnd);
        state_ = State::kSize;
        digits_ = 0;
        ext_bytes_ = 0;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kEndLf;
          break;
        }
        state_ = State::kTrailerLine;
        [[fallthrough]];
      case State::kTrailerLine:
        if (++trailer_bytes_ > kMaxTrailerBytes) return fail(Status::kTrailerTooLarge);
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!is_line_char(c)) {
          return fail(Status::kBadChunkEnd);
        }
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail(Status::kBadChunkEnd);
        state_ = State::kTrailerStart;
        break;
      case State::kEndLf:
        if (c != '\n') return fail(Status::kBadChunkEnd);
        state_ = State::kDone;
        *consumed = i + 1;
        return Status::kDone;
      case State::kDone:
        *consumed = i;
        return Status::kDone;
      case State::kError:
        *consumed = i;
        return Status::kBadChunkEnd;
    }
    ++i;
  }
  *consumed = i;
  if (state_ == State::kDone) return Status::kDone;
  if (state_ == State::kError) return Status::kBadChunkEnd;
  return Status::kNeedMore;
}

}  // namespace tandem::dp::http
