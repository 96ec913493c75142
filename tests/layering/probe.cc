// A layering probe (tests/layering/CMakeLists.txt): compiled with the include path of one
// library, it includes the header named by URNA_PROBE_HEADER. A header of a module the library
// does not declare must not be found, so the probe must fail to build.
#include URNA_PROBE_HEADER
