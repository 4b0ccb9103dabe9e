# The fuzz targets' bodies, shared by fuzz/ (libFuzzer) and tests/fuzz/ (regression inputs).
add_library(trnsim_fuzz_bodies STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_properties.cpp ${CMAKE_CURRENT_LIST_DIR}/fuzz_trace.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.cpp ${CMAKE_CURRENT_LIST_DIR}/fuzz_npy.cpp)
target_include_directories(trnsim_fuzz_bodies PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(trnsim_fuzz_bodies PRIVATE TRNSIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(trnsim_fuzz_bodies PUBLIC trnsim_trace trnsim_config trnsim_io trnsim_common
                      fmt::fmt PRIVATE trnsim_warnings)

# The simulation's body needs the SystemC model: a library of its own, so that the front
# ends' targets do not link SystemC.
add_library(trnsim_fuzz_sim_body STATIC ${CMAKE_CURRENT_LIST_DIR}/fuzz_sim.cpp)
target_link_libraries(trnsim_fuzz_sim_body PUBLIC trnsim_fuzz_bodies trnsim_sysc trnsim_check
                      trnsim_functional trnsim_stats PRIVATE trnsim_warnings)
