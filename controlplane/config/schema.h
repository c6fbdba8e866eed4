// The configuration schema: every object and key Tandem understands, with
// type, default, range and help. Read by the parser, validation, show,
// checksums, node_config, the CLI (help and completion) and the
// tandem-config-doc tool that writes docs/config.md's key reference.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config_types.h"
#include "controlplane/config/schema_types.h"

namespace tandem::config {

// Top-level objects in the order `show` prints them.
const std::vector<ObjectSchema>& top_level_objects();

const ObjectSchema* find_object(std::string_view path);
const ObjectSchema* find_child(const ObjectSchema& parent, std::string_view path);
const KeySchema* find_key(const ObjectSchema& object, std::string_view name);

// The stored words of key in object, or its default when unset.
const std::vector<std::string>& value_words(const KeySchema& key, const ObjectData& object);

// The candidate closest to word (edit distance at most 2, or a prefix),
// empty when nothing is close: for "did you mean" hints.
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

// Words that start a command; a value equal to one must be quoted.
bool is_command_keyword(std::string_view word);

// "an integer 0..255", "one of standalone|a-p": the form a key expects.
std::string expected_form(const KeySchema& key);

// The Markdown key reference of docs/config.md (tandem-config-doc).
std::string reference_markdown();

// A fresh entry of object: no stored values, singleton children present.
ObjectData make_object(const ObjectSchema& object);

}  // namespace tandem::config
