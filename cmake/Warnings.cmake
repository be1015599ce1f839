# Warnings that catch real bugs; -Werror=switch keeps every enum table and switch whole (STYLE.md).
add_compile_options(-Wall -Wextra -Wno-unused-parameter -Werror=switch -Werror=return-type)
# One library per module (DESIGN.md); sources are the module folder's .cc files.
function(qforge_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cc" "${CMAKE_CURRENT_SOURCE_DIR}/*/*.cc")
  if(_srcs)
    add_library(qforge_${name} STATIC ${_srcs})
    target_include_directories(qforge_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(qforge_${name} PUBLIC ${M_DEPS})
  else()  # a module whose issue has not landed yet: headers only, same place in the layering
    add_library(qforge_${name} INTERFACE)
    target_include_directories(qforge_${name} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(qforge_${name} INTERFACE ${M_DEPS})
  endif()
endfunction()
