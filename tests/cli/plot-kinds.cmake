# tools/plot's figures on real results, with their expected content (matplotlib writes every text
# of an SVG as a comment before its glyphs, so the SVG is searched for it):
#  - trajectories: by default the named scenarios only (Fig. 1: moore, not the swept ai[...]);
#    Table 2 as L(t) (its targets are losses) on 0-40 yr, crossings labelled with their times,
#    the off-axis one at the right edge, units as papers write them; calendar years with
#    start_year; --scenarios, --logx, --xlim, --quantity;
#  - sweeps: Fig. 1's sweep coloured by gamma, with a colour bar;
#  - montecarlo: the CDFs of two sampled scenarios in one figure;
#  - fan: the bands.csv of configs/examples/monte-carlo.yaml (sample.bands), checked against the
#    run's own time quantiles: the median R(t) crosses 0.68 where the median time to R = 0.68 lies.
# Uses Debian's /usr/bin/python3 with matplotlib.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

function(plot label)
  execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("[${label}] tools/plot ${ARGN}: exit ${rc}: ${err}")
  endif()
  set(${label}_OUT "${out}" PARENT_SCOPE)
  set(${label}_ERR "${err}" PARENT_SCOPE)
endfunction()

# expect_figure(<file without extension> <text>...): PNG and SVG exist, the PNG has the PNG
# signature, the SVG holds every <text>; a text starting with "!" must not be there.
function(expect_figure f)
  foreach(ext png svg)
    if(NOT EXISTS "${f}.${ext}")
      fail("missing ${f}.${ext}")
      return()
    endif()
  endforeach()
  file(READ "${f}.png" magic LIMIT 8 HEX)
  if(NOT magic STREQUAL "89504e470d0a1a0a")
    fail("${f}.png is not a PNG (${magic})")
  endif()
  file(READ "${f}.svg" svg)
  if(NOT svg MATCHES "^<\\?xml" OR NOT svg MATCHES "<svg")
    fail("${f}.svg is not an SVG")
  endif()
  foreach(want IN LISTS ARGN)
    if(want MATCHES "^!(.*)")
      string(FIND "${svg}" "${CMAKE_MATCH_1}" at)
      if(NOT at EQUAL -1)
        fail("${f}.svg has '${CMAKE_MATCH_1}'")
      endif()
    else()
      string(FIND "${svg}" "${want}" at)
      if(at EQUAL -1)
        fail("${f}.svg lacks '${want}'")
      endif()
    endif()
  endforeach()
endfunction()

foreach(c paper/table2 paper/fig1 examples/monte-carlo)
  get_filename_component(stem "${c}" NAME)
  racesim(${stem} ARGS -q run "${SOURCE_DIR}/configs/${c}.yaml" --out "${WORK}/${stem}")
  expect_rc(${stem} 0)
endforeach()

# Table 2: L(t), the four crossings within 40 yr labelled, unfold-in-time's 3,085 yr at the edge.
plot(t2 "${WORK}/table2" --out "${WORK}/fig/t2")
if(NOT t2_OUT STREQUAL "${WORK}/fig/t2/trajectories.png\n${WORK}/fig/t2/trajectories.svg\n")
  fail("Table 2 figures: [${t2_OUT}]")
endif()
expect_figure("${WORK}/fig/t2/trajectories" "loss L (nats/token)" "time (years)" "L = 0.68" "0 yr" "5.32 yr"
              "5.74 yr" "20.1 yr" "→ 3,085 yr" "hare" "turtle" "!(1)" "!(yr)")
# The x axis ends at the 40-yr horizon, not at unfold-in-time's 4,000 yr: its last tick is 40.
file(READ "${WORK}/fig/t2/trajectories.svg" svg)
foreach(tick 40 "!50" "!4000" "!1000")
  if(tick MATCHES "^!(.*)")
    if(svg MATCHES "<!-- ${CMAKE_MATCH_1} -->")
      fail("Table 2: an x tick ${CMAKE_MATCH_1}")
    endif()
  elseif(NOT svg MATCHES "<!-- ${tick} -->")
    fail("Table 2: no x tick ${tick}")
  endif()
endforeach()

# Calendar axis: start_year in resolved_config (date = start_year + t).
file(COPY "${WORK}/table2/" DESTINATION "${WORK}/table2-cal")
file(READ "${WORK}/table2-cal/summary.json" json)
string(JSON json SET "${json}" resolved_config start_year 2025.0)
file(WRITE "${WORK}/table2-cal/summary.json" "${json}")
plot(cal "${WORK}/table2-cal" --kind trajectories --out "${WORK}/fig/cal")
expect_figure("${WORK}/fig/cal/trajectories" "year" "2030.3" "2030.7" "2045.1" "→ 5110.0" "!time (years)")
plot(years "${WORK}/table2-cal" --kind trajectories --time-axis years --quantity R --out "${WORK}/fig/years")
expect_figure("${WORK}/fig/years/trajectories" "time (years)" "relative loss R = L/L(C₀)" "5.32 yr")

# Options: a scenario selection, a log time axis, x limits, R instead of L.
plot(sel "${WORK}/table2" --kind trajectories --scenarios turtle hare --logx --xlim 0.5 30 --quantity R
     --out "${WORK}/fig/sel")
expect_figure("${WORK}/fig/sel/trajectories" "turtle" "hare" "!baseline" "!unfold" "relative loss R = L/L(C₀)"
              "R = 0.609" "R = 0.693")
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" "${WORK}/table2" --scenarios nosuch
                        --out "${WORK}/fig/bad" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "nosuch" OR err MATCHES "Traceback")
  fail("--scenarios nosuch: exit ${rc}, stderr: ${err}")
endif()

# Fig. 1: the default trajectories figure has moore only; the sweep has its own figure.
plot(f1 "${WORK}/fig1" --out "${WORK}/fig/f1")
expect_figure("${WORK}/fig/f1/trajectories" "moore" "!ai[gamma" "1.29 yr")
expect_figure("${WORK}/fig/f1/sweeps-ai" "efficiency growth rate γ (yr⁻¹)" "R = 0.68" "4.22 yr" "20.1 yr"
              "crossing of a target")
plot(f1all "${WORK}/fig1" --kind trajectories --scenarios ai moore --out "${WORK}/fig/f1all")
expect_figure("${WORK}/fig/f1all/trajectories" "moore" "ai[gamma=0]" "ai[gamma=3]" "4.22 yr" "11.1 yr")

# Monte Carlo: two sampled scenarios overlaid in one CDF per target.
file(WRITE "${WORK}/two.yaml" "racesim: 1
name: two-fleets
horizon: 40
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
scenarios:
  - name: small-fleet
    power: {P0: 0.1}
    sample: {n: 300, seed: 1, parameters: {efficiency.gamma: {dist: lognormal, ci80: [1, 4]}}}
  - name: large-fleet
    power: {P0: 1.5}
    sample: {n: 300, seed: 2, parameters: {efficiency.gamma: {dist: lognormal, ci80: [0.5, 3]}}}
")
racesim(two ARGS -q run "${WORK}/two.yaml" --out "${WORK}/two")
expect_rc(two 0)
plot(mc "${WORK}/two" --kind montecarlo --out "${WORK}/fig/mc")
expect_figure("${WORK}/fig/mc/montecarlo-cdf-R=0.68" "small-fleet (n = 300" "large-fleet (n = 300" "median"
              "P(reached R = 0.68 by then)" "time (years)")
expect_figure("${WORK}/fig/mc/montecarlo-small-fleet-R=0.68" "small-fleet")

# Fan chart from the run's bands.csv.
file(STRINGS "${WORK}/monte-carlo/bands.csv" bands)
plot(all "${WORK}/monte-carlo" --out "${WORK}/fig/all")  # every kind with data: fan included
expect_figure("${WORK}/fig/all/fan" "loss L (nats/token)" "median" "5–95 %" "25–75 %" "uncertain" "L = 0.68")
foreach(f montecarlo-cdf-R=0.68 montecarlo-cdf-R=0.5 trajectories)
  expect_figure("${WORK}/fig/all/${f}")
endforeach()
plot(fanr "${WORK}/monte-carlo" --kind fan --quantity R --out "${WORK}/fig/fan")
expect_figure("${WORK}/fig/fan/fan-R" "relative loss R = L/L(C₀)" "median")
# The bands agree with the samples' times: P(T <= t) = P(R(t) <= 0.68) per sample, so the median
# of R(t) crosses 0.68 between the two grid times around the median time to R = 0.68.
file(READ "${WORK}/monte-carlo/summary.json" json)
string(JSON p50 GET "${json}" monte_carlo 0 targets 0 time_quantiles p50)
set(before "")
set(after "")
foreach(row IN LISTS bands)
  if(row MATCHES "^uncertain,([0-9.]+),50,[^,]*,[^,]*,([0-9.e-]+)$")
    set(t "${CMAKE_MATCH_1}")
    set(r "${CMAKE_MATCH_2}")
    if(r GREATER 0.68)
      set(before "${t}")
    elseif(after STREQUAL "")
      set(after "${t}")
    endif()
  endif()
endforeach()
if(before STREQUAL "" OR after STREQUAL "" OR p50 LESS before OR p50 GREATER after)
  fail("bands.csv: the median R(t) crosses 0.68 between ${before} and ${after} yr, the run's median time is ${p50} yr")
endif()
racesim_finish()
