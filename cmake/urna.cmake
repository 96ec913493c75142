# Helpers that keep one library per src/ folder and tests beside their sources.
include_guard(GLOBAL)

# urna_library(NAME SRCS a.cc b.cc DEPS other_lib ...)
# Builds the static library urna_<NAME>. Includes are rooted at src/.
function(urna_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  if(ARG_SRCS)
    add_library(urna_${name} STATIC ${ARG_SRCS})
    set(scope PUBLIC)
  else()  # header-only, e.g. ports
    add_library(urna_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  target_include_directories(urna_${name} ${scope} ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/gen)
  target_link_libraries(urna_${name} ${scope} ${ARG_DEPS})
endfunction()

# urna_test(NAME SRCS foo_test.cc DEPS lib ...)
# A GoogleTest binary registered with CTest under the label "unit".
function(urna_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()
