# Shared compile settings and one helper per kind of target.

set(CAIRN_WARNINGS -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
if(CAIRN_WERROR)
  list(APPEND CAIRN_WARNINGS -Werror)
endif()
# GCC 12 at -O3 reports impossible overlaps inside std::string concatenation (a known false
# positive of -Wrestrict in libstdc++'s inlined char_traits::copy); the check finds nothing
# real in our code, so it is off for GCC rather than worked around at every `"x" + str`.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND CAIRN_WARNINGS -Wno-restrict)
endif()

set(CAIRN_SANITIZE_FLAGS "")
if(CAIRN_SANITIZE STREQUAL "address")
  set(CAIRN_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
elseif(CAIRN_SANITIZE STREQUAL "thread")
  set(CAIRN_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
endif()
if(CAIRN_BUILD_FUZZ)
  list(APPEND CAIRN_SANITIZE_FLAGS -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=all)
endif()

# cairn_library(NAME SOURCES a.cc b.cc DEPS other_lib ...)
function(cairn_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${CAIRN_WARNINGS})
  target_compile_options(${name} PUBLIC ${CAIRN_SANITIZE_FLAGS})
  target_link_options(${name} PUBLIC ${CAIRN_SANITIZE_FLAGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# cairn_test(NAME SOURCES a_test.cc DEPS lib ... [LABELS slow])
function(cairn_test name)
  if(NOT CAIRN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CAIRN_WARNINGS})
  target_compile_definitions(${name} PRIVATE
      CAIRN_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${ARG_LABELS}")
endfunction()
