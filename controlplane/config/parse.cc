// The parser: a token stream where config/edit/set/unset/next/end start a
// command, so the one-line form (`config system ha set mode a-p end`) and
// the multi-line form are the same thing. A stack of frames tracks the
// open `config` blocks and `edit` entries; an unknown block is skipped as
// a whole so one typo gives one error.
#include <fstream>
#include <new>
#include <span>

#include "controlplane/config/config.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/tokenize.h"
#include "controlplane/config/value.h"

namespace tandem::config {
namespace {

struct Frame {
  enum class Kind { kBlock, kEntry };
  Kind kind;
  const ObjectSchema* schema;  // nullptr: skipping an unknown or broken block
  TableData* table = nullptr;  // kBlock of a real schema
  ObjectData* object = nullptr;  // singleton kBlock, or kEntry
  Token opened;
};

std::vector<std::string> names_of_keys(const ObjectSchema& o) {
  std::vector<std::string> out;
  for (const KeySchema& k : o.keys) out.push_back(k.name);
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string hint = closest_name(word, candidates);
  return hint.empty() ? "" : " (did you mean \"" + hint + "\"?)";
}

class Parser {
 public:
  Parser(Config config, std::string_view source, std::vector<Diagnostic>* errors)
      : config_(std::move(config)), source_(source), errors_(errors) {}

  void run(const TokenizeResult& input) {
    const std::vector<Token>& tokens = input.tokens;
    std::size_t i = 0;
    while (i < tokens.size() && !stopped_) {
      const Token& command = tokens[i];
      std::size_t j = i + 1;
      while (j < tokens.size() && !starts_command(tokens[j])) ++j;
      if (!starts_command(command)) {
        error(command, "expected config, edit, set, unset, next or end, found \"" + command.text + "\"");
      } else {
        dispatch(command, std::span<const Token>(tokens).subspan(i + 1, j - i - 1));
      }
      i = j;
    }
    if (!stopped_) check_closed(input);
  }

  Config take() { return std::move(config_); }

 private:
  static bool starts_command(const Token& t) { return !t.quoted && is_command_keyword(t.text); }

  void error(const Token& at, std::string message) { error(at.line, at.column, std::move(message)); }
  void error(int line, int column, std::string message) {
    if (stopped_) return;
    if (errors_->size() + 1 >= kMaxErrors) {
      errors_->push_back({{std::string(source_), line, column},
                          "too many errors (" + std::to_string(kMaxErrors) + "); stopping here"});
      stopped_ = true;
      return;
    }
    errors_->push_back({{std::string(source_), line, column}, std::move(message)});
  }

  Frame* top() { return frames_.empty() ? nullptr : &frames_.back(); }

  static std::string block_name(const Frame& f) {
    return "\"config " + (f.schema ? f.schema->path : std::string("?")) + "\"";
  }

  // The object `set`/`unset`/nested `config` act on, or nullptr with an
  // error already reported (or a skipped block, reported when it opened).
  ObjectData* current_object(const Token& command, const ObjectSchema** schema) {
    Frame* f = top();
    if (!f) {
      error(command, "\"" + command.text + "\" outside of a \"config\" block");
      return nullptr;
    }
    if (!f->schema) return nullptr;
    if (f->kind == Frame::Kind::kBlock && f->schema->is_table()) {
      error(command, "\"" + command.text + "\" in table " + block_name(*f) +
                         " needs an \"edit <name>\" first");
      return nullptr;
    }
    *schema = f->schema;
    return f->object;
  }

  void dispatch(const Token& command, std::span<const Token> args) {
    const std::string& c = command.text;
    if (c == "config") {
      open_block(command, args);
    } else if (c == "edit") {
      edit(command, args);
    } else if (c == "set") {
      set(command, args);
    } else if (c == "unset") {
      unset(command, args);
    } else if (c == "delete") {
      remove(command, args);
    } else if (c == "purge") {
      purge(command, args);
    } else if (c == "next") {
      next(command, args);
    } else {
      end(command, args);
    }
  }

  void no_arguments(const Token& command, std::span<const Token> args) {
    if (!args.empty()) {
      error(args[0], "unexpected \"" + args[0].text + "\" after \"" + command.text +
                         "\" (a value equal to a command word must be quoted)");
    }
  }

  int open_blocks() const {
    int n = 0;
    for (const Frame& f : frames_) n += f.kind == Frame::Kind::kBlock;
    return n;
  }

  void push_skip(Frame::Kind kind, const Token& at) { frames_.push_back({kind, nullptr, nullptr, nullptr, at}); }

  void open_block(const Token& command, std::span<const Token> args) {
    if (args.empty()) {
      error(command, "missing object path after \"config\" (e.g. config system ha)");
      push_skip(Frame::Kind::kBlock, command);
      return;
    }
    std::string path;
    for (const Token& t : args) path += (path.empty() ? "" : " ") + t.text;
    Frame* f = top();
    // Checked before skipping so garbage nested in an unknown block gets
    // the same clear error (once, at the first level past the cap).
    int depth = open_blocks();
    if (depth >= kMaxNesting) {
      if (depth == kMaxNesting) {
        error(command, "\"config\" blocks nested deeper than " + std::to_string(kMaxNesting) + " levels");
      }
      push_skip(Frame::Kind::kBlock, command);
      return;
    }
    if (f && !f->schema) {
      push_skip(Frame::Kind::kBlock, command);
      return;
    }
    const ObjectSchema* schema = nullptr;
    ObjectData* parent = nullptr;
    if (!f) {
      schema = find_object(path);
      parent = &config_.root();
      if (!schema) {
        std::vector<std::string> known;
        for (const ObjectSchema& o : top_level_objects()) known.push_back(o.path);
        error(args[0], "unknown object \"" + path + "\"" + did_you_mean(path, known));
      }
    } else if (f->kind == Frame::Kind::kBlock && f->schema->is_table()) {
      error(command, "\"config " + path + "\" in table " + block_name(*f) +
                         " needs an \"edit <name>\" first");
      push_skip(Frame::Kind::kBlock, command);
      return;
    } else {
      schema = find_child(*f->schema, path);
      parent = f->object;
      if (!schema) {
        std::vector<std::string> known;
        for (const ObjectSchema& o : f->schema->children) known.push_back(o.path);
        error(args[0], "unknown object \"" + path + "\" in " + block_name(*f) + did_you_mean(path, known));
      }
    }
    if (!schema) {
      push_skip(Frame::Kind::kBlock, command);
      return;
    }
    TableData* table = &parent->children[schema->path];
    ObjectData* object = schema->is_table() ? nullptr : &table->entries.at(0).object;
    frames_.push_back({Frame::Kind::kBlock, schema, table, object, command});
  }

  // The canonical entry name, or an error message.
  static std::optional<std::string> entry_name(const ObjectSchema& o, const Token& t, std::string* why) {
    if (o.entry_key == EntryKey::kInteger) {
      auto id = parse_integer(t.text, o.key_min, o.key_max);
      if (!id) {
        *why = "entry id \"" + t.text + "\" of \"config " + o.path + "\" is not a number in " +
               std::to_string(o.key_min) + ".." + std::to_string(o.key_max);
        return {};
      }
      return std::to_string(*id);
    }
    if (t.text.empty() || static_cast<std::int64_t>(t.text.size()) > o.key_max) {
      *why = "entry name \"" + t.text + "\" of \"config " + o.path + "\" must be 1.." +
             std::to_string(o.key_max) + " bytes";
      return {};
    }
    return t.text;
  }

  void edit(const Token& command, std::span<const Token> args) {
    Frame* f = top();
    if (f && f->kind == Frame::Kind::kEntry) {
      if (f->schema) error(command, "\"edit\" while editing another entry (missing \"next\"?)");
      frames_.pop_back();
      f = top();
    }
    if (!f) {
      error(command, "\"edit\" outside of a \"config\" block");
      push_skip(Frame::Kind::kEntry, command);
      return;
    }
    if (!f->schema) {
      push_skip(Frame::Kind::kEntry, command);
      return;
    }
    if (!f->schema->is_table()) {
      error(command, "\"edit\" in " + block_name(*f) + ", which is not a table");
      push_skip(Frame::Kind::kEntry, command);
      return;
    }
    if (args.size() != 1) {
      error(args.empty() ? command : args[1],
            args.empty() ? "missing entry name after \"edit\""
                         : "unexpected \"" + args[1].text + "\" after the entry name (quote names with spaces)");
      push_skip(Frame::Kind::kEntry, command);
      return;
    }
    std::string why;
    auto name = entry_name(*f->schema, args[0], &why);
    if (!name) {
      error(args[0], why);
      push_skip(Frame::Kind::kEntry, command);
      return;
    }
    TableData& table = *f->table;
    auto it = table.index.find(*name);
    std::size_t pos;
    if (it != table.index.end()) {
      pos = it->second;
    } else {
      pos = table.entries.size();
      table.entries.push_back({*name, make_object(*f->schema),
                               {std::string(source_), command.line, command.column}});
      table.index.emplace(*name, pos);
    }
    frames_.push_back({Frame::Kind::kEntry, f->schema, &table, &table.entries[pos].object, command});
  }

  const KeySchema* key_of(const ObjectSchema& schema, const Token& key_token) {
    const KeySchema* key = find_key(schema, key_token.text);
    if (!key) {
      error(key_token, "unknown key \"" + key_token.text + "\" in \"config " + schema.path + "\"" +
                           did_you_mean(key_token.text, names_of_keys(schema)));
    }
    return key;
  }

  void set(const Token& command, std::span<const Token> args) {
    const ObjectSchema* schema = nullptr;
    ObjectData* object = current_object(command, &schema);
    if (!object) return;
    if (args.empty()) {
      error(command, "missing key after \"set\"");
      return;
    }
    const KeySchema* key = key_of(*schema, args[0]);
    if (!key) return;
    std::span<const Token> values = args.subspan(1);
    std::vector<std::string> words;
    if (auto e = parse_value(*key, values, &words)) {
      const Token& at = values.empty() ? args[0] : values[std::min(e->token, values.size() - 1)];
      error(at, e->message);
      return;
    }
    if (words == key->default_words) {
      object->values.erase(key->name);
      return;
    }
    StoredValue& stored = object->values[key->name];
    stored.words = std::move(words);
    stored.where = {std::string(source_), command.line, command.column};
    stored.word_where.clear();
    for (std::size_t i = 0; i < stored.words.size(); ++i) {
      // ENC plus hash and ip/len split differ from the token count.
      const Token& t = values[std::min(i, values.size() - 1)];
      stored.word_where.push_back({std::string(source_), t.line, t.column});
    }
  }

  // The table block `delete <name>` / `purge` act on, or nullptr with an
  // error reported. FortiOS deletes at table level, not inside an `edit`.
  Frame* table_frame(const Token& command) {
    Frame* f = top();
    if (f && f->kind == Frame::Kind::kEntry) {
      if (f->schema) error(command, "\"" + command.text + "\" while editing an entry (missing \"next\"?)");
      return nullptr;
    }
    if (!f) {
      error(command, "\"" + command.text + "\" outside of a \"config\" block");
      return nullptr;
    }
    if (!f->schema) return nullptr;
    if (!f->schema->is_table()) {
      error(command, "\"" + command.text + "\" in " + block_name(*f) + ", which is not a table");
      return nullptr;
    }
    return f;
  }

  // `delete <name>`: the entry goes; what still refers to it fails
  // validation of the whole result, which then leaves the base unchanged.
  void remove(const Token& command, std::span<const Token> args) {
    Frame* f = table_frame(command);
    if (!f) return;
    if (args.size() != 1) {
      error(args.empty() ? command : args[1],
            args.empty() ? "missing entry name after \"delete\""
                         : "unexpected \"" + args[1].text + "\" after the entry name (quote names with spaces)");
      return;
    }
    std::string why;
    auto name = entry_name(*f->schema, args[0], &why);
    if (!name) {
      error(args[0], why);
      return;
    }
    TableData& table = *f->table;
    auto it = table.index.find(*name);
    if (it == table.index.end()) {
      error(args[0], "no entry \"" + *name + "\" in " + block_name(*f) + " to delete");
      return;
    }
    table.entries.erase(table.entries.begin() + static_cast<std::ptrdiff_t>(it->second));
    table.index.clear();
    for (std::size_t i = 0; i < table.entries.size(); ++i) table.index.emplace(table.entries[i].name, i);
  }

  // `purge`: every entry of the table goes.
  void purge(const Token& command, std::span<const Token> args) {
    Frame* f = table_frame(command);
    if (!f) return;
    no_arguments(command, args);
    f->table->entries.clear();
    f->table->index.clear();
  }

  void unset(const Token& command, std::span<const Token> args) {
    const ObjectSchema* schema = nullptr;
    ObjectData* object = current_object(command, &schema);
    if (!object) return;
    if (args.size() != 1) {
      error(args.empty() ? command : args[1],
            args.empty() ? "missing key after \"unset\"" : "\"unset\" takes one key");
      return;
    }
    if (const KeySchema* key = key_of(*schema, args[0])) object->values.erase(key->name);
  }

  void next(const Token& command, std::span<const Token> args) {
    Frame* f = top();
    if (!f || f->kind != Frame::Kind::kEntry) {
      error(command, "\"next\" without a matching \"edit\"");
    } else {
      frames_.pop_back();
    }
    no_arguments(command, args);
  }

  void end(const Token& command, std::span<const Token> args) {
    // FortiOS accepts `end` inside an entry: it closes the entry too.
    if (top() && top()->kind == Frame::Kind::kEntry) frames_.pop_back();
    if (!top()) {
      error(command, "\"end\" without a matching \"config\"");
    } else {
      frames_.pop_back();
    }
    no_arguments(command, args);
  }

  void check_closed(const TokenizeResult& input) {
    std::string where;
    int n = 0;
    for (const Frame& f : frames_) {
      if (f.kind != Frame::Kind::kBlock) continue;
      where += (n ? ", " : "") + std::to_string(f.opened.line) + ":" + std::to_string(f.opened.column);
      ++n;
    }
    if (n == 0) return;
    error(input.end_line, input.end_column,
          "unexpected end of file: " + std::to_string(n) + " \"config\" block" + (n == 1 ? "" : "s") +
              " still open (opened at " + where + ")");
  }

  Config config_;
  std::string_view source_;
  std::vector<Diagnostic>* errors_;
  std::vector<Frame> frames_;
  bool stopped_ = false;
};

ParseResult run_parser(const Config& base, std::string_view text, std::string_view source) {
  ParseResult result;
  try {
    if (text.size() > kMaxConfigBytes) {
      result.config = base;
      result.errors.push_back({{std::string(source), 1, 1},
                               "configuration is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxConfigBytes) + " (4 MiB)"});
      return result;
    }
    TokenizeResult tokens = tokenize(text, source);
    result.errors = std::move(tokens.errors);
    // Tokens survive word-level errors, so the parser still reports the
    // rest of the file (encoding errors leave no tokens at all).
    Parser parser(base, source, &result.errors);
    parser.run(tokens);
    result.config = parser.take();
    // Cross-reference errors would mostly echo a value that failed to
    // parse, so they are checked on a config that parsed cleanly.
    if (result.errors.empty()) validate(result.config, &result.errors);
  } catch (const std::bad_alloc&) {
    result.errors.push_back({{std::string(source), 1, 1}, "out of memory while parsing the configuration"});
  } catch (const std::exception& e) {
    result.errors.push_back({{std::string(source), 1, 1}, std::string("internal error: ") + e.what()});
  }
  if (!result.errors.empty()) result.config = base;
  return result;
}

}  // namespace

ParseResult parse(std::string_view text, std::string_view source_name) {
  return run_parser(Config(), text, source_name);
}

ParseResult apply(const Config& base, std::string_view text, std::string_view source_name) {
  return run_parser(base, text, source_name);
}

ParseResult load_file(const std::string& path) {
  ParseResult result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.errors.push_back({{path, 0, 0}, "cannot open configuration file"});
    return result;
  }
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    result.errors.push_back({{path, 0, 0}, "cannot read configuration file"});
    return result;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse(text, path);
}

}  // namespace tandem::config
