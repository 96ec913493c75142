# The layering of docs/architecture.md §6, which the build enforces (keep the two in step).
#
# A module is a folder under src/ holding one library (or a library split in two, such as
# net's router): its headers are visible only to itself and to the libraries that declare it
# in DEPS (urna_library in cmake/urna.cmake), and a library may declare only modules of LOWER
# layers. So `core` cannot include "results/hub.h" (the header is not on its include path)
# and cannot declare `urna_results` to get it (this check stops the configure).
# The probes in tests/layering show both.
include_guard(GLOBAL)

# Lowest first; modules of one layer are peers and may not depend on each other.
set(URNA_LAYERS
    "sync"
    "core"
    "ports"
    "adapters/codec"
    "adapters/embedded adapters/memory adapters/dynamodb adapters/kafka adapters/redis ingest processor results audit lifecycle auth"
    "net"
    "app"
    "cmd")

# Dependencies that break the layering today, each with the issue that removes it:
# "module>dependency". An exception is also an error once the dependency is gone, so the list
# cannot go stale.
set(URNA_LAYERING_EXCEPTIONS)

# Sets `out` to the layer (1 = lowest, as numbered in docs/architecture.md §6) of `module`, a folder under src/; fails for a module the
# table does not list.
function(urna_layer_of out module)
  set(i 1)
  foreach(layer IN LISTS URNA_LAYERS)
    separate_arguments(modules UNIX_COMMAND "${layer}")
    if(module IN_LIST modules)
      set(${out} ${i} PARENT_SCOPE)
      return()
    endif()
    math(EXPR i "${i} + 1")
  endforeach()
  message(FATAL_ERROR "src/${module} is in no layer: add it to URNA_LAYERS in "
                      "cmake/layering.cmake and to docs/architecture.md §6")
endfunction()

# Sets `out` to TRUE when `module` may depend on `dep` (a lower layer, the same module, or a
# listed exception), else to a sentence that says why not.
function(urna_layering_allows out module dep)
  if(module STREQUAL dep)
    set(${out} TRUE PARENT_SCOPE)
    return()
  endif()
  if("${module}>${dep}" IN_LIST URNA_LAYERING_EXCEPTIONS)
    set_property(GLOBAL APPEND PROPERTY URNA_LAYERING_EXCEPTIONS_USED "${module}>${dep}")
    set(${out} TRUE PARENT_SCOPE)
    return()
  endif()
  urna_layer_of(from ${module})
  urna_layer_of(to ${dep})
  set(rule "a module may depend only on lower layers (cmake/layering.cmake, "
           "docs/architecture.md §6)")
  string(CONCAT rule ${rule})
  if(to LESS from)
    set(${out} TRUE PARENT_SCOPE)
  elseif(to EQUAL from)
    set(${out} "${module} and ${dep} are peers (layer ${from}): ${rule}" PARENT_SCOPE)
  else()
    set(${out} "${dep} (layer ${to}) is above ${module} (layer ${from}): ${rule}" PARENT_SCOPE)
  endif()
endfunction()

# Fails for an exception no library needs any more (urna_check_layering calls it at the end).
function(urna_check_layering_exceptions)
  get_property(used GLOBAL PROPERTY URNA_LAYERING_EXCEPTIONS_USED)
  foreach(exception IN LISTS URNA_LAYERING_EXCEPTIONS)
    if(NOT exception IN_LIST used)
      message(FATAL_ERROR "layering exception ${exception} is no longer needed: remove it from "
                          "URNA_LAYERING_EXCEPTIONS in cmake/layering.cmake")
    endif()
  endforeach()
endfunction()
