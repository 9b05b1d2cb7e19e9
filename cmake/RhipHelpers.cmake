# rhip_library(NAME SRCS ... DEPS ...): one static library per module, named rhip_<NAME>.
function(rhip_library NAME)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(rhip_${NAME} STATIC ${ARG_SRCS})
  target_include_directories(rhip_${NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(rhip_${NAME} PUBLIC ${ARG_DEPS})
endfunction()

# rhip_test(NAME SRCS ... DEPS ...): a GoogleTest binary registered with CTest.
function(rhip_test NAME)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  if(NOT RHIP_BUILD_TESTS)
    return()
  endif()
  add_executable(${NAME} ${ARG_SRCS})
  target_link_libraries(${NAME} PRIVATE ${ARG_DEPS} rhip_core_testing GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${NAME} DISCOVERY_TIMEOUT 60)
endfunction()
