#include "sysc/common/kernel.h"

#include <cstdlib>

#include <systemc>

// g++ says __SANITIZE_ADDRESS__ under -fsanitize=address, clang only __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define TRNSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRNSIM_ASAN 1
#endif
#endif

#if defined(TRNSIM_ASAN)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace trnsim::sysc {

namespace {

#if defined(TRNSIM_ASAN)
// SystemC's coroutines tell AddressSanitizer about each stack switch, but the switch back
// to the main stack names no stack, so the sanitizer keeps the last coroutine's stack as the
// main thread's. LeakSanitizer scans that range at exit, by then a stack of a finished
// simulation with a protected guard page, and crashes now and then ("Tracer caught signal
// 11"). Declaring the main stack again before the leak check puts things right.
// Called after every run (restore_main_stack) and at exit, for code that ran the kernel
// without it.
void declare_main_stack() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* bottom = nullptr;
  std::size_t size = 0;
  if (pthread_attr_getstack(&attr, &bottom, &size) == 0) {
    __sanitizer_start_switch_fiber(nullptr, bottom, size);
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
  }
  pthread_attr_destroy(&attr);
}
#endif

}  // namespace

void restore_main_stack() {
#if defined(TRNSIM_ASAN)
  declare_main_stack();
#endif
}

void reset_kernel() {
#if defined(TRNSIM_ASAN)
  // At exit, before the leak check (registered first, so run last).
  static const bool registered = std::atexit(declare_main_stack) == 0;
  (void)registered;
#endif
  // The banner would be printed into every report; SystemC reads this variable itself.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  sc_core::sc_set_time_resolution(1.0, sc_core::SC_FS);
  // A model that reports an error through SystemC must not abort the whole process.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR,
                                          sc_core::SC_DISPLAY | sc_core::SC_THROW);
}

ScopedKernel::ScopedKernel() {
  reset_kernel();
  m_context = sc_core::sc_curr_simcontext;
}

ScopedKernel::~ScopedKernel() {
  const bool current = sc_core::sc_curr_simcontext == m_context;
  const bool global = sc_core::sc_default_global_context == m_context;
  // Deleted while still current: its objects unregister from it as they go.
  delete m_context;
  if (current) sc_core::sc_curr_simcontext = nullptr;
  if (global) sc_core::sc_default_global_context = nullptr;
}

}  // namespace trnsim::sysc

// libsystemc's own main() refers to sc_main. trnsim never uses that main() (it drives the
// kernel from its own), but the reference must still resolve when linking.
int sc_main(int, char*[]) {
  return 0;
}
