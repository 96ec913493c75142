// The one translation unit that compiles Boost.JSON (header-only mode; Debian ships no
// libboost_json for 1.81).
#include <boost/json/src.hpp>
