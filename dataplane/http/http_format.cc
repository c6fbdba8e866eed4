// How the parsers' results print (logs, diagnose output, test failures).
#include "dataplane/http/http_types.h"

namespace tandem::dp::http {

const char* status_name(Status s) {
  switch (s) {
    case Status::kNeedMore: return "need-more";
    case Status::kDone: return "done";
    case Status::kData: return "data";
    case Status::kHeadTooLarge: return "head-too-large";
    case Status::kTooManyHeaders: return "too-many-headers";
    case Status::kBadLineEnding: return "bad-line-ending";
    case Status::kBadMethod: return "bad-method";
    case Status::kBadTarget: return "bad-target";
    case Status::kBadVersion: return "bad-version";
    case Status::kUnsupportedVersion: return "unsupported-version";
    case Status::kBadStatusLine: return "bad-status-line";
    case Status::kBadHeaderName: return "bad-header-name";
    case Status::kBadHeaderValue: return "bad-header-value";
    case Status::kObsoleteLineFolding: return "obsolete-line-folding";
    case Status::kBadContentLength: return "bad-content-length";
    case Status::kBadTransferEncoding: return "bad-transfer-encoding";
    case Status::kContentLengthAndChunked: return "content-length-and-transfer-encoding";
    case Status::kMissingHost: return "missing-host";
    case Status::kDuplicateHost: return "duplicate-host";
    case Status::kBadHost: return "bad-host";
    case Status::kBadChunkSize: return "bad-chunk-size";
    case Status::kBadChunkEnd: return "bad-chunk-end";
    case Status::kTrailerTooLarge: return "trailer-too-large";
  }
  return "?";
}

}  // namespace tandem::dp::http
