// The one description of every config field: YAML key, where it lives in the structs of
// config.h, its allowed range, unit and a short doc. The loader, the validator, to_yaml,
// the reference table in docs/config.md and the tests all walk these tables, so a field is
// described once and cannot be parsed in one place and documented differently elsewhere.
//
// A table lists the fields of one struct; a field whose member is itself a struct (a
// section such as `tensor`, or a nested PerDtype / OpClassCosts / OpClassFixed) points at
// that struct's table, so nested structs reuse their tables.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace trnsim::config::schema {

// The allowed values of a number field (of each element, for lists). Checked as each value
// is read, so the error points at the value; relations between fields are checked later.
struct Limits {
  double min = 0;
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  // (min, max] instead of [min, max]
  bool power_of_two = false;
  std::uint64_t multiple_of = 1;

  // "[1, 1024]", "(0, 100]", ">= 1" or "> 0".
  std::string range() const;
  // range(), then ", power of two" and ", multiple of N" when they apply.
  std::string to_string() const;
};

struct Table;

// A nested struct inside an object: its table and its address.
struct Section {
  const Table* table;
  void* object;
};

// A typed pointer to one field of one object. Visiting a Slot is how code handles "every
// kind of field": the compiler rejects a visitor that forgets a kind.
using Slot =
    std::variant<std::uint32_t*, std::uint64_t*, double*, bool*, std::string*, TopologyKind*,
                 std::vector<std::uint32_t>*, std::vector<std::array<std::uint32_t, 2>>*, Section>;

// Visits a Slot with one lambda per kind: std::visit(Overloaded{[](double*) {...}, ...}, slot).
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// C++20 deduces this for aggregates, but clang 14 (the fuzz build) does not implement that yet.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

struct Field {
  std::string_view key;        // YAML key
  Slot (*slot)(void* object);  // the field inside an object of the table's struct
  Limits limits;               // numbers and list elements only
  std::string_view unit;       // empty: none, or inherited from the enclosing field
  std::string_view doc;        // one line: what it means, why it matters
};

struct Table {
  std::string_view name;  // the struct, for messages
  std::vector<Field> fields;

  const Field* find(std::string_view key) const;
  std::vector<std::string_view> keys() const;
};

// The table of SystemConfig: the top-level keys of a config file (without `base`, which is
// a directive of the loader, not a field).
const Table& system_table();

// The YAML names of TopologyKind values, in enum order.
const std::array<std::string_view, 5>& topology_kind_names();
std::string_view to_string(TopologyKind kind);

// A value as YAML text, the form to_yaml writes and the loader reads back to the same
// value: byte sizes with a binary suffix when exact (`224Ki`), reals in their shortest
// round-trip form, strings double-quoted, lists in flow style.
std::string format_value(const Field& field, const Slot& slot);

// The type of a field as the docs name it: "uint", "real", "bool", "list of uint", ...
std::string type_name(const Slot& slot);

// One leaf field (not a section) reached from SystemConfig.
struct Leaf {
  std::string path;  // dotted YAML path, e.g. "tensor.moving_columns_per_cycle.bf16"
  const Field* field;
  Slot slot;
  std::string_view unit;  // the field's unit, or the enclosing field's when it has none
};

// Calls `visit` for every leaf of `cfg`, in table order.
void for_each_leaf(SystemConfig& cfg, const std::function<void(const Leaf&)>& visit);

// The Markdown reference table of every field (key, type, unit, default, range, meaning)
// with defaults taken from a default-constructed SystemConfig; docs/config.md embeds it.
std::string reference_table();

}  // namespace trnsim::config::schema
