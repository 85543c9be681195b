// sim/cli/cli_options.h — options whose values are enums: the user types a name from the enum's
// table (engine/enum_names.h), the command holds the value; --help lists the names and shows
// the default by name.
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "enum_names.h"

namespace espfleet {

// `allowed` narrows the table (empty: every name in it).
template <class E, size_t N>
CLI::Option* add_enum_option(CLI::App* cmd, const std::string& name, E& target, const EnumName<E> (&table)[N],
                             const std::string& description, std::initializer_list<E> allowed = {}) {
  std::vector<std::string> names;
  for (const EnumName<E>& e : table) {
    bool ok = allowed.size() == 0;
    for (E a : allowed) ok |= a == e.value;
    if (ok) names.emplace_back(e.name);
  }
  return cmd
      ->add_option_function<std::string>(
          name, [&target, &table](const std::string& v) { target = *enum_parse(table, v); }, description)
      ->check(CLI::IsMember(names))
      ->default_str(std::string(enum_name(table, target)));
}

}  // namespace espfleet
