#include "controlplane/cli/cli.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace tandem::cli {
namespace {

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// How many leading words of `typed` match `declared`; a typed word may be an
// unambiguous abbreviation, as in FortiOS ("get sys stat"), resolved later.
bool word_matches(const std::string& typed, const std::string& declared) {
  return declared.size() >= typed.size() && declared.compare(0, typed.size(), typed) == 0;
}

}  // namespace

std::optional<std::vector<std::string>> tokenize(std::string_view line, std::string* error) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '\\') {
        if (i + 1 >= line.size()) {
          *error = "dangling backslash at end of line";
          return std::nullopt;
        }
        char n = line[++i];
        cur.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n);
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur.push_back(c);
      in_word = true;
    }
  }
  if (quoted) {
    *error = "unterminated double quote";
    return std::nullopt;
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

bool parse_number(const std::string& s, unsigned long max, unsigned long* out) {
  if (s.empty() || s.size() > 10) return false;
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (*end != '\0' || v > max) return false;
  *out = v;
  return true;
}

std::string quote(std::string_view word) {
  bool plain = !word.empty() && std::none_of(word.begin(), word.end(), [](char c) {
    return c == ' ' || c == '"' || c == '\\' || c == '\t' || c == '\n' || c == '\r';
  });
  if (plain) return std::string(word);
  std::string out = "\"";
  for (char c : word) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void CommandRegistry::add(std::vector<Command> commands) {
  for (auto& cmd : commands) {
    for (const auto& existing : commands_) {
      if (existing.words == cmd.words) {
        std::fprintf(stderr, "tandemd: CLI command \"%s\" registered twice\n", cmd.words.c_str());
        std::abort();
      }
    }
    commands_.push_back(std::move(cmd));
  }
}

Reply CommandRegistry::execute(std::string_view line) const {
  std::string error;
  auto typed = tokenize(line, &error);
  if (!typed) return Reply::error("error: " + error);
  if (typed->empty()) return Reply{};

  // Longest declared command whose every word the typed words match (a typed
  // word may abbreviate a declared one). Among equal lengths an exact match
  // wins; two abbreviation matches are ambiguous.
  const Command* best = nullptr;
  size_t best_len = 0;
  bool ambiguous = false;
  int best_exact = -1;
  for (const auto& cmd : commands_) {
    auto words = split_words(cmd.words);
    if (words.size() > typed->size()) continue;
    bool match = true;
    int exact = 0;
    for (size_t i = 0; i < words.size(); ++i) {
      if (!word_matches((*typed)[i], words[i])) {
        match = false;
        break;
      }
      exact += (*typed)[i] == words[i];
    }
    if (!match) continue;
    if (words.size() > best_len || (words.size() == best_len && exact > best_exact)) {
      best = &cmd;
      best_len = words.size();
      best_exact = exact;
      ambiguous = false;
    } else if (words.size() == best_len && exact == best_exact) {
      ambiguous = true;
    }
  }
  if (best == nullptr) {
    // Say which commands start like this so the operator can correct it.
    std::vector<std::string> prefix;
    for (const auto& w : *typed) {
      prefix.push_back(w);
      std::string h = help(prefix);
      if (h.empty()) {
        prefix.pop_back();
        break;
      }
    }
    if (prefix.size() == typed->size()) {
      return Reply::error("incomplete command; one of:\n" + help(prefix));
    }
    std::string msg = "command parse error before '" + (*typed)[prefix.size()] + "'\n";
    msg += "Command fail. Return code -61\n";
    msg += prefix.empty() ? help({}) : help(prefix);
    return Reply::error(msg);
  }
  if (ambiguous) {
    return Reply::error("ambiguous command: '" + std::string(line) + "'\n" + help({(*typed)[0]}));
  }
  Args args(typed->begin() + static_cast<long>(best_len), typed->end());
  if (static_cast<int>(args.size()) < best->min_args ||
      (best->max_args >= 0 && static_cast<int>(args.size()) > best->max_args)) {
    return Reply::error("usage: " + best->words + (best->usage.empty() ? "" : " " + best->usage) +
                        "\n  " + best->help);
  }
  return best->handler(args);
}

std::string CommandRegistry::help(const std::vector<std::string>& prefix) const {
  std::vector<const Command*> hits;
  for (const auto& cmd : commands_) {
    auto words = split_words(cmd.words);
    if (prefix.size() > words.size()) continue;
    bool match = true;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (!word_matches(prefix[i], words[i])) {
        match = false;
        break;
      }
    }
    if (match) hits.push_back(&cmd);
  }
  std::sort(hits.begin(), hits.end(),
            [](const Command* a, const Command* b) { return a->words < b->words; });
  size_t width = 0;
  for (const auto* c : hits) {
    width = std::max(width, c->words.size() + (c->usage.empty() ? 0 : c->usage.size() + 1));
  }
  std::ostringstream out;
  for (const auto* c : hits) {
    std::string syn = c->words + (c->usage.empty() ? "" : " " + c->usage);
    out << syn << std::string(width - syn.size() + 2, ' ') << c->help << "\n";
  }
  return out.str();
}

}  // namespace tandem::cli
