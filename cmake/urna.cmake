# Helpers that keep one library per src/ folder and tests beside their sources.
include_guard(GLOBAL)

include(${CMAKE_CURRENT_LIST_DIR}/layering.cmake)

# urna_library(NAME [DIRS dir ...] SRCS a.cc b.cc DEPS other_lib ...)
# Builds the static library urna_<NAME> (an INTERFACE library without SRCS, e.g. ports).
# DIRS are the folders under src/ whose headers it exports (default: src/<NAME> if it exists);
# the first is its module (cmake/layering.cmake). Includes are rooted at src/ ("core/vote.h"),
# but each library sees only its own folders and those of its DEPS, through a staged tree of
# symlinks: build/<preset>/include/<folder>/<folder> -> src/<folder>. Every DEPS entry that is
# an urna library must be of a lower layer (cmake/layering.cmake; checked by urna_check_layering).
function(urna_library name)
  cmake_parse_arguments(ARG "" "" "DIRS;SRCS;DEPS" ${ARGN})
  if(NOT ARG_DIRS AND IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${name})
    set(ARG_DIRS ${name})
  endif()
  if(ARG_SRCS)
    add_library(urna_${name} STATIC ${ARG_SRCS})
    set(scope PUBLIC)
  else()  # header-only, e.g. ports
    add_library(urna_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  foreach(dir IN LISTS ARG_DIRS)
    string(REPLACE "/" "_" key ${dir})
    set(root ${PROJECT_BINARY_DIR}/include/${key})
    set(target "")
    if(IS_SYMLINK ${root}/${dir})
      file(READ_SYMLINK ${root}/${dir} target)
    endif()
    if(NOT target STREQUAL ${PROJECT_SOURCE_DIR}/src/${dir})  # new, or the tree moved
      get_filename_component(parent ${root}/${dir} DIRECTORY)
      file(MAKE_DIRECTORY ${parent})
      file(REMOVE ${root}/${dir})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${dir} ${root}/${dir} SYMBOLIC)
    endif()
    target_include_directories(urna_${name} ${scope} ${root})
  endforeach()
  if(ARG_DIRS)
    list(GET ARG_DIRS 0 module)
    set_target_properties(urna_${name} PROPERTIES URNA_MODULE ${module})
    set_property(GLOBAL APPEND PROPERTY URNA_MODULE_LIBRARIES urna_${name})
  endif()
  target_link_libraries(urna_${name} ${scope} ${ARG_DEPS})
endfunction()

# Checks every library's links (DEPS, or target_link_libraries anywhere) against the layers,
# once every library is defined: at the end of the top-level CMakeLists.txt.
function(urna_check_layering)
  get_property(libs GLOBAL PROPERTY URNA_MODULE_LIBRARIES)
  foreach(lib IN LISTS libs)
    get_target_property(module ${lib} URNA_MODULE)
    get_target_property(type ${lib} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(deps ${lib} INTERFACE_LINK_LIBRARIES)
    else()
      get_target_property(deps ${lib} LINK_LIBRARIES)
    endif()
    foreach(dep IN LISTS deps)
      if(TARGET ${dep})
        get_target_property(dep_module ${dep} URNA_MODULE)
        if(dep_module)
          urna_layering_allows(allowed ${module} ${dep_module})
          if(NOT allowed STREQUAL TRUE)
            message(FATAL_ERROR "${lib} links ${dep}: ${allowed}")
          endif()
        endif()
      endif()
    endforeach()
  endforeach()
  urna_check_layering_exceptions()
endfunction()
cmake_language(DEFER CALL urna_check_layering)

# urna_test(NAME SRCS foo_test.cc DEPS lib ...)
# A GoogleTest binary registered with CTest under the label "unit".
function(urna_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()

# urna_fuzzer(NAME SRCS foo_fuzzer.cc DEPS lib ...)
# A libFuzzer target fuzz_<NAME>, built only with URNA_FUZZ=ON (clang; the `fuzz` preset). Its
# seed corpus is tests/fuzz/<NAME>/ and its optional dictionary tests/fuzz/<NAME>.dict;
# scripts/fuzz runs it for a bounded time. CTest replays the corpus once (label "fuzz").
function(urna_fuzzer name)
  if(NOT URNA_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/${name})
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "urna_fuzzer(${name}): no seed corpus at ${corpus}")
  endif()
  add_executable(fuzz_${name} ${ARG_SRCS})
  target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS})
  # Libraries are compiled with -fsanitize=fuzzer-no-link (see CMakeLists.txt); only the
  # target's link brings libFuzzer's main.
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzzers fuzz_${name})
  # Crash artifacts go to the build tree, never next to the seeds.
  set(artifacts ${PROJECT_BINARY_DIR}/fuzz-artifacts/${name}/)
  file(MAKE_DIRECTORY ${artifacts})
  add_test(NAME fuzz_${name} COMMAND fuzz_${name} -runs=0 -artifact_prefix=${artifacts} ${corpus})
  set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()
