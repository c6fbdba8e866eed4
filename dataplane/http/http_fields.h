// Internals shared by the request and response parsers (http_request.cc,
// http_response.cc): character classes, the end-of-head scan and field-line
// parsing. Not for callers outside dataplane/http.
#pragma once

#include <cstddef>
#include <string_view>

#include "dataplane/http/http_types.h"

namespace tandem::dp::http::detail {

// RFC 9110 tchar.
bool is_token_char(unsigned char c);
bool is_token(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// Looks for CRLF CRLF in buf from *scanned on, refusing bare LF and CR
// without LF. kDone sets *head_bytes; kNeedMore advances *scanned.
Status scan_head(std::string_view buf, std::size_t* scanned, std::size_t* head_bytes);

// "HTTP/1.x" into *minor; kBadVersion or kUnsupportedVersion otherwise.
Status parse_version(std::string_view text, uint8_t* minor);

// Field lines between the start line's CRLF and the final CRLF CRLF
// (lines: each ends in CRLF). is_request: Transfer-Encoding may only be
// chunked (a proxy cannot decode other codings of a request body).
Status parse_fields(std::string_view lines, bool is_request, Fields* out);

}  // namespace tandem::dp::http::detail
