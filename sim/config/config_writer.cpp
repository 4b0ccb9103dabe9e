// to_yaml: the resolved config, written from the same field tables the loader reads with,
// so that every field is written and reads back to the same value.
#include <fmt/format.h>

#include "config/config_loader.h"
#include "config/config_schema.h"

namespace trnsim::config {

namespace {

void write_table(std::string& out, const schema::Table& table, void* object, int indent,
                 std::string_view inherited_unit) {
  for (const auto& field : table.fields) {
    schema::Slot slot = field.slot(object);
    std::string_view unit = field.unit.empty() ? inherited_unit : field.unit;
    if (const auto* section = std::get_if<schema::Section>(&slot)) {
      if (indent == 0) out += '\n';
      out += fmt::format("{:{}}{}:  # {}\n", "", indent, field.key, field.doc);
      write_table(out, *section->table, section->object, indent + 2, unit);
      continue;
    }
    std::string unit_note = unit.empty() ? "" : fmt::format(" [{}]", unit);
    out += fmt::format("{:{}}{}: {}  # {}{}\n", "", indent, field.key,
                       schema::format_value(field, slot), field.doc, unit_note);
  }
}

}  // namespace

std::string to_yaml(const SystemConfig& cfg) {
  // The tables hand out mutable slots; writing from a copy keeps `cfg` const.
  SystemConfig copy = cfg;
  std::string out = "# trnsim configuration, fully resolved: every field, no base.\n";
  write_table(out, schema::system_table(), &copy, 0, "");
  return out;
}

}  // namespace trnsim::config
