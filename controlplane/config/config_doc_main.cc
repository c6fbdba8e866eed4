// tandem-config-doc: prints the key reference of docs/config.md from the
// schema, so the document cannot drift from the code.
//   tandem-config-doc                 print the reference
//   tandem-config-doc --check FILE    exit 1 when FILE's reference differs
//   tandem-config-doc --update FILE   rewrite FILE's reference in place
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "controlplane/config/schema.h"

namespace {

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED REFERENCE (tandem-config-doc) -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED REFERENCE -->\n";

int usage() {
  std::fprintf(stderr, "usage: tandem-config-doc [--check FILE | --update FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string reference = tandem::config::reference_markdown();
  if (argc == 1) {
    std::fwrite(reference.data(), 1, reference.size(), stdout);
    return 0;
  }
  if (argc != 3) return usage();
  std::string mode = argv[1], path = argv[2];
  if (mode != "--check" && mode != "--update") return usage();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot open\n", path.c_str());
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string doc = buffer.str();
  std::size_t begin = doc.find(kBegin);
  std::size_t end = doc.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    std::fprintf(stderr, "%s: markers not found; expected lines:\n%.*s%.*s", path.c_str(),
                 static_cast<int>(kBegin.size()), kBegin.data(), static_cast<int>(kEnd.size()), kEnd.data());
    return 1;
  }
  std::size_t body = begin + kBegin.size();
  if (mode == "--check") {
    if (doc.compare(body, end - body, reference) == 0) return 0;
    std::fprintf(stderr,
                 "%s: the key reference differs from the schema; run tandem-config-doc --update %s\n",
                 path.c_str(), path.c_str());
    return 1;
  }
  doc.replace(body, end - body, reference);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << doc;
  return out ? 0 : 1;
}
