// The diagnostic a test expects a loader or parser to throw, for checking its file, line,
// column and message: the first diagnostic of the InputError `action` throws. Fails the
// test when `action` throws none.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "common/diagnostic.h"

namespace trnsim::test {

template <typename Action>
Diagnostic first_diagnostic(Action&& action, const std::string& input = {}) {
  try {
    action();
  } catch (const InputError& e) {
    REQUIRE(!e.diagnostics().items().empty());
    return e.diagnostics().items().front();
  }
  FAIL("expected an InputError" << (input.empty() ? "" : " for:\n") << input);
  return {};
}

}  // namespace trnsim::test
