# tools/plot's labels (targets, crossings, medians) never overlap: tests/cli/plot_labels.py draws
# every figure of real results (Table 2, Fig. 1 with all its scenarios, Fig. 3's sweep, Monte
# Carlo with a fan chart, Table 2 on log time) and checks, with matplotlib's renderer, that no two
# labels intersect, none covers the legend or a marker or leaves its axes, and that Table 2 keeps
# every label; and that without placement Table 2's labels do overlap (the check has teeth).
# Uses Debian's /usr/bin/python3 with matplotlib.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

foreach(c paper/table2 paper/fig1 paper/fig3 examples/monte-carlo)
  get_filename_component(stem "${c}" NAME)
  racesim(${stem} ARGS -q run "${SOURCE_DIR}/configs/${c}.yaml" --out "${WORK}/${stem}")
  expect_rc(${stem} 0)
endforeach()
if(NOT EXISTS "${WORK}/monte-carlo/bands.csv")
  fail("configs/examples/monte-carlo.yaml wrote no bands.csv (sample.bands)")
endif()
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tests/cli/plot_labels.py" "${SOURCE_DIR}/tools/plot"
                        "${WORK}/table2" "${WORK}/fig1|--scenarios|ai|moore" "${WORK}/fig3" "${WORK}/monte-carlo"
                        "${WORK}/table2|--logx|--xlim|0.1|4000"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("plot_labels.py exit ${rc}:\n${out}${err}")
endif()
racesim_finish()
