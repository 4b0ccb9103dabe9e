# Run by CTest after doctest's discovery script, which defines test_fuzz_regression_TESTS.
set_tests_properties(${test_fuzz_regression_TESTS} PROPERTIES LABELS "unit;fuzz-regression")
