#include "sysc/common/kernel.h"

#include <cstdlib>

#include <systemc>

namespace trnsim::sysc {

void reset_kernel() {
  // The banner would be printed into every report; SystemC reads this variable itself.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  sc_core::sc_set_time_resolution(1.0, sc_core::SC_FS);
  // A model that reports an error through SystemC must not abort the whole process.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR,
                                          sc_core::SC_DISPLAY | sc_core::SC_THROW);
}

}  // namespace trnsim::sysc

// libsystemc's own main() refers to sc_main. trnsim never uses that main() (it drives the
// kernel from its own), but the reference must still resolve when linking.
int sc_main(int, char*[]) {
  return 0;
}
