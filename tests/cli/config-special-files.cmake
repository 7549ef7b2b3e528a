# Config paths that are not regular files, or cannot be opened: each is refused promptly with
# exit 1 and its real reason. /dev/zero was read without bound, a FIFO without a writer hung,
# and a loop of symbolic links was reported as "no such file".
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(zero ARGS validate /dev/zero)
expect_rc(zero 1)
expect_match(zero ERR "/dev/zero: error: more than 16777216 bytes read from it \\(a device\\); configs are limited to 16777216 bytes: refused")

execute_process(COMMAND mkfifo "${WORK}/fifo" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("mkfifo failed")
endif()
# No writer: must not hang (the CTest timeout would fail it); an empty pipe is an error.
racesim(fifo ARGS validate "${WORK}/fifo")
expect_rc(fifo 1)
expect_match(fifo ERR ".*fifo: error: is a pipe that gave nothing to read")

file(CREATE_LINK "${WORK}/loop-b" "${WORK}/loop-a" SYMBOLIC)
file(CREATE_LINK "${WORK}/loop-a" "${WORK}/loop-b" SYMBOLIC)
racesim(loop ARGS validate "${WORK}/loop-a")
expect_rc(loop 1)
expect_match(loop ERR ".*loop-a: error: cannot be opened: a loop of symbolic links")

file(WRITE "${WORK}/plain.yaml" "racesim: 1\n")
racesim(notdir ARGS validate "${WORK}/plain.yaml/inner.yaml")
expect_rc(notdir 1)
expect_match(notdir ERR ".*plain\\.yaml/inner\\.yaml: error: no such file \\(a part of its path is not a directory\\)")
racesim_finish()
