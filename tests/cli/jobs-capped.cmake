# --jobs larger than any machine (99999999999, 10^7) is capped (1024 threads at most): the run
# neither fails with std::bad_alloc nor takes gigabytes, prints no oneTBB warning, and gives the
# results of --jobs 1. More threads than cores (3 on a 2-core machine) is honoured quietly.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(one ARGS run "${TABLE2}" --out "${WORK}/one" --jobs 1)
expect_rc(one 0)
foreach(j 99999999999 10000000 3)
  racesim(j${j} ARGS run "${TABLE2}" --out "${WORK}/j${j}" --jobs ${j})
  expect_rc(j${j} 0)
  if(j${j}_ERR MATCHES "TBB|bad_alloc")
    fail("--jobs ${j} printed: ${j${j}_ERR}")
  endif()
  expect_same_results("${WORK}/one" "${WORK}/j${j}")
endforeach()
racesim_finish()
