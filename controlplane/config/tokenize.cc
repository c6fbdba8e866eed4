#include "controlplane/config/tokenize.h"

#include <cstdint>
#include <cstdio>

namespace tandem::config {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

class Tokenizer {
 public:
  Tokenizer(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  TokenizeResult run() {
    if (!check_encoding()) return std::move(result_);
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance();
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance();
      } else if (c == '"') {
        quoted_word();
      } else {
        bare_word();
      }
    }
    result_.end_line = line_;
    result_.end_column = column_;
    return std::move(result_);
  }

 private:
  // NUL bytes and invalid UTF-8 stop tokenizing: the rest of the file
  // cannot be trusted to mean what the operator typed.
  bool check_encoding() {
    constexpr std::size_t kMaxEncodingErrors = 10;
    int line = 1, column = 1;
    for (std::size_t i = 0; i < text_.size();) {
      std::size_t n = text_[i] == '\0' ? 0 : utf8_sequence_length(text_, i);
      if (n == 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text_[i]));
        error(line, column,
              text_[i] == '\0' ? std::string("NUL byte in configuration text (expected UTF-8 text)")
                               : "invalid UTF-8 byte " + std::string(hex) +
                                     " (expected UTF-8 text)");
        if (result_.errors.size() >= kMaxEncodingErrors) break;
        n = 1;
      }
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
      i += n;
    }
    return result_.errors.empty();
  }

  void advance() {
    unsigned char c = static_cast<unsigned char>(text_[pos_++]);
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column_;  // continuation bytes do not start a character
    }
  }

  void error(int line, int column, std::string message) {
    result_.errors.push_back({{std::string(source_), line, column}, std::move(message)});
  }

  static bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

  void quoted_word() {
    Token token{{}, true, line_, column_};
    advance();  // opening quote
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        error(token.line, token.column, "missing closing quote of string started here");
        result_.tokens.push_back(std::move(token));  // keeps the command's shape for recovery
        return;
      }
      char c = text_[pos_];
      if (c == '"') {
        advance();
        break;
      }
      if (c == '\\') {
        int line = line_, column = column_;
        advance();
        char e = pos_ < text_.size() ? text_[pos_] : '\0';
        if (e == '"' || e == '\\') {
          token.text += e;
          advance();
        } else if (e == 'n') {
          token.text += '\n';
          advance();
        } else {
          error(line, column, "unknown escape in string (expected \\\", \\\\ or \\n)");
        }
        continue;
      }
      if (c != '\t' && is_control(static_cast<unsigned char>(c))) {
        error(line_, column_, "control character in string (expected printable text)");
        advance();
        continue;
      }
      token.text += c;
      advance();
    }
    if (pos_ < text_.size() && !ends_word(text_[pos_])) {
      error(line_, column_, "expected a space after the closing quote");
      while (pos_ < text_.size() && !ends_word(text_[pos_])) advance();
    }
    result_.tokens.push_back(std::move(token));
  }

  static bool ends_word(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#';
  }

  void bare_word() {
    Token token{{}, false, line_, column_};
    bool bad = false;
    while (pos_ < text_.size() && !ends_word(text_[pos_])) {
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (!bad && (c == '"' || c == '\\' || is_control(c))) {
        error(line_, column_,
              c == '"'    ? "quote inside a word (expected a space before the string)"
              : c == '\\' ? "backslash outside a string (quote the value)"
                          : "control character in configuration text");
        bad = true;
      }
      token.text += static_cast<char>(c);
      advance();
    }
    result_.tokens.push_back(std::move(token));
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  TokenizeResult result_;
};

}  // namespace

TokenizeResult tokenize(std::string_view text, std::string_view source_name) {
  return Tokenizer(text, source_name).run();
}

}  // namespace tandem::config
