# The fuzz targets' bodies, shared by fuzz/ (libFuzzer) and tests/fuzz/ (regression inputs).
add_library(trnsim_fuzz_bodies STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_properties.cpp ${CMAKE_CURRENT_LIST_DIR}/fuzz_trace.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.cpp ${CMAKE_CURRENT_LIST_DIR}/fuzz_npy.cpp)
target_include_directories(trnsim_fuzz_bodies PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(trnsim_fuzz_bodies PRIVATE TRNSIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(trnsim_fuzz_bodies PUBLIC trnsim_trace trnsim_config trnsim_io trnsim_common
                      fmt::fmt PRIVATE trnsim_warnings)
