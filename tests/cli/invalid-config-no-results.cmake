# A config that fails validation: `run` exits 1 and creates no results directory at all
# (not even the parent of --out), and no temporary directories.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

write_invalid_config("${WORK}/broken.yaml")
racesim(run ARGS run broken.yaml --out "${WORK}/results/broken")
expect_rc(run 1)
expect_empty(run OUT)
expect_match(run ERR "broken\\.yaml:11:31: error: unknown parameter 'gama' for efficiency 'continuous-doubling'\n")
expect_match(run ERR "1 error\n$")
expect_dir_listing("${WORK}" broken.yaml)

# The default results directory is not created either.
racesim(default ARGS run broken.yaml)
expect_rc(default 1)
expect_dir_listing("${WORK}" broken.yaml)
racesim_finish()
