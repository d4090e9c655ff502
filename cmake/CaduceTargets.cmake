# One helper per target kind (after abseil's AbseilHelpers.cmake).
#
# caduce_library(NAME directory SRCS a.cc b.cc DEPS caduce::base [PRIVATE_DEPS ...])
#   creates caduce_directory and the alias caduce::directory.
# caduce_test(NAME directory SRCS a_test.cc DEPS caduce::directory)
#   creates the test binary directory_test, registered with ctest through
#   gtest_discover_tests.
# caduce_bench(NAME validation SRCS validation_bench.cc DEPS ...)
#   creates bench_validation (Google Benchmark), built only with CADUCE_BUILD_BENCH.
# caduce_fuzzer(NAME csv SRCS csv_fuzz.cc DEPS ...)
#   creates fuzz_csv (libFuzzer), built only with CADUCE_BUILD_FUZZERS and clang.

function(caduce_library)
  cmake_parse_arguments(CL "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(caduce_${CL_NAME} STATIC ${CL_SRCS})
  add_library(caduce::${CL_NAME} ALIAS caduce_${CL_NAME})
  target_include_directories(caduce_${CL_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(caduce_${CL_NAME} PUBLIC ${CL_DEPS} PRIVATE ${CL_PRIVATE_DEPS})
endfunction()

function(caduce_test)
  cmake_parse_arguments(CT "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT CADUCE_BUILD_TESTS)
    return()
  endif()
  add_executable(${CT_NAME}_test ${CT_SRCS})
  target_include_directories(${CT_NAME}_test PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${CT_NAME}_test PRIVATE ${CT_DEPS} caduce::testing GTest::gmock_main)
  gtest_discover_tests(${CT_NAME}_test
    PROPERTIES ENVIRONMENT "CADUCE_DATA_DIR=${PROJECT_SOURCE_DIR}/data"
    DISCOVERY_TIMEOUT 60)
endfunction()

function(caduce_bench)
  cmake_parse_arguments(CB "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT CADUCE_BUILD_BENCH)
    return()
  endif()
  add_executable(bench_${CB_NAME} ${CB_SRCS})
  target_include_directories(bench_${CB_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(bench_${CB_NAME} PRIVATE ${CB_DEPS} benchmark::benchmark)
endfunction()

function(caduce_fuzzer)
  cmake_parse_arguments(CF "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT CADUCE_BUILD_FUZZERS)
    return()
  endif()
  add_executable(fuzz_${CF_NAME} ${CF_SRCS})
  target_include_directories(fuzz_${CF_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(fuzz_${CF_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${CF_NAME} PRIVATE ${CF_DEPS} -fsanitize=fuzzer)
endfunction()
