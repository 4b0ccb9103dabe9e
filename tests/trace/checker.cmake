# The static checker's tests (tests/trace/test_checker.cpp, data in bad_static/); included
# from tests/trace/CMakeLists.txt.
trnsim_add_test(test_checker unit SOURCES test_checker.cpp LIBS trnsim_trace trnsim_config)
