# The layer rule: every #include "dir/file.h" in src/ and connectors/ goes
# downhill, never up or sideways (docs/architecture.md, "Layers").
#
#   cmake -DROOT=<source dir> -P cmake/check_layers.cmake
#
# Prints every violation as "path:line: <layer> may not include <header>
# (<layer>)" and fails; prints a one-line summary and succeeds otherwise.
# Run by every build (target muniscope_check_layers) and by ctest, which also
# runs it on a fixture tree with violations to show that it catches them.

cmake_minimum_required(VERSION 3.25)

if(NOT ROOT)
  message(FATAL_ERROR "check_layers: pass -DROOT=<source dir>")
endif()

# What each layer may include (its own headers included).
set(allowed_core core)
set(allowed_config core config)
set(allowed_store core config store)
set(allowed_contract core contract)
set(allowed_engine core config store contract engine)
set(allowed_connectors core contract connectors)
set(allowed_analysis core config store analysis)
set(allowed_report core config store analysis report)
set(allowed_registry core config registry)
set(allowed_daemon core config store contract engine connectors analysis daemon)
set(allowed_cli core config store contract engine connectors analysis report registry daemon cli)
set(allowed_main core config store contract engine connectors analysis report registry daemon cli)

# The connector contract: the part of src/engine a connector may see.
set(contract_files connector http page_guard)

# Layer of a path relative to ROOT (a source file) or of an include path.
function(layer_of path out)
  set(p "${path}")
  string(REGEX REPLACE "^src/" "" p "${p}")
  if(p STREQUAL "cli/main.cpp")
    set(${out} main PARENT_SCOPE)
    return()
  endif()
  string(REGEX MATCH "^[a-z_]+" top "${p}")
  if(top STREQUAL "engine")
    get_filename_component(stem "${p}" NAME_WE)
    if(stem IN_LIST contract_files)
      set(${out} contract PARENT_SCOPE)
      return()
    endif()
    set(${out} engine PARENT_SCOPE)
  elseif(top STREQUAL "metrics" OR top STREQUAL "survey")
    set(${out} analysis PARENT_SCOPE)
  elseif(top MATCHES "^(core|config|store|connectors|report|registry|daemon|cli)$")
    set(${out} ${top} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

file(GLOB_RECURSE sources RELATIVE "${ROOT}"
  "${ROOT}/src/*.h" "${ROOT}/src/*.cpp" "${ROOT}/connectors/*.h" "${ROOT}/connectors/*.cpp")
set(violations 0)
set(checked 0)
foreach(rel IN LISTS sources)
  layer_of("${rel}" from)
  if(from STREQUAL "")
    continue()
  endif()
  file(STRINGS "${ROOT}/${rel}" lines REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
  set(n 0)
  foreach(line IN LISTS lines)
    string(REGEX MATCH "\"([^\"]+)\"" _ "${line}")
    set(header "${CMAKE_MATCH_1}")
    if(NOT header MATCHES "/")
      continue()  # a header beside the file, in its own folder
    endif()
    layer_of("${header}" to)
    if(to STREQUAL "")
      continue()  # not one of ours (a system or library header)
    endif()
    math(EXPR checked "${checked} + 1")
    if(NOT to IN_LIST allowed_${from})
      message("${rel}: ${from} may not include ${header} (${to})")
      math(EXPR violations "${violations} + 1")
    endif()
  endforeach()
endforeach()

if(violations GREATER 0)
  message(FATAL_ERROR "check_layers: ${violations} include(s) against the layer direction")
endif()
message(STATUS "check_layers: ${checked} includes go downhill")
