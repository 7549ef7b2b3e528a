# `racesim compare` on results directories that were damaged or edited by hand: a CSV cut at a
# row boundary, rows reversed or repeated, a nan, a summary.json whose csv entry points out of
# the directory (directly or through a symbolic link), and --csv aimed into the directory. Each
# is refused with exit 2 and a message naming the file; before, all of them were accepted.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(cfg "${SOURCE_DIR}/configs/examples/discrete-vs-continuous.yaml")
racesim(run ARGS run "${cfg}" --out "${WORK}/good")
expect_rc(run 0)
set(csv "${WORK}/good/yearly.csv")
file(STRINGS "${csv}" lines)
list(LENGTH lines n)
list(GET lines 0 header)

# A fresh copy of the good directory with yearly.csv replaced by `content`.
function(damaged name content)
  file(REMOVE_RECURSE "${WORK}/${name}")
  file(COPY "${WORK}/good/" DESTINATION "${WORK}/${name}")
  file(WRITE "${WORK}/${name}/yearly.csv" "${content}")
endfunction()

# Truncated at a row boundary: header and the first half of the rows.
math(EXPR half "${n} / 2")
list(SUBLIST lines 0 ${half} kept)
list(JOIN kept "\n" text)
damaged(truncated "${text}\n")
racesim(truncated ARGS compare "${WORK}/truncated" yearly continuous)
expect_rc(truncated 2)
expect_match(truncated ERR "racesim: error: .*truncated/yearly\\.csv: the last row is at t = [0-9.]+ yr, not at the scenario's horizon 12 yr \\(summary\\.json\\): the file is truncated")

# Rows reversed.
list(SUBLIST lines 1 -1 rows)
list(REVERSE rows)
list(JOIN rows "\n" text)
damaged(reversed "${header}\n${text}\n")
racesim(reversed ARGS compare "${WORK}/reversed" yearly continuous)
expect_rc(reversed 2)
expect_match(reversed ERR "racesim: error: .*reversed/yearly\\.csv:3: t = [0-9.e+-]+ does not come after the previous row's t = [0-9.e+-]+: rows must be in increasing time")

# A row repeated.
list(GET lines 1 r1)
list(GET lines 2 r2)
list(SUBLIST lines 3 -1 rest)
list(JOIN rest "\n" text)
damaged(duplicate "${header}\n${r1}\n${r2}\n${r2}\n${text}\n")
racesim(duplicate ARGS compare "${WORK}/duplicate" yearly continuous)
expect_rc(duplicate 2)
expect_match(duplicate ERR "racesim: error: .*duplicate/yearly\\.csv:4: t = [0-9.e+-]+ does not come after")

# A nan in the C column (the second field).
string(REGEX REPLACE "^([^,]*),[^,]*," "\\1,nan," r2nan "${r2}")
damaged(nan "${header}\n${r1}\n${r2nan}\n${text}\n")
racesim(nan ARGS compare "${WORK}/nan" yearly continuous)
expect_rc(nan 2)
expect_match(nan ERR "racesim: error: .*nan/yearly\\.csv:3: 'nan' is not a finite number")

# summary.json pointing out of the directory.
file(REMOVE_RECURSE "${WORK}/escape")
file(COPY "${WORK}/good/" DESTINATION "${WORK}/escape")
file(READ "${WORK}/escape/summary.json" summary)
string(REPLACE "\"csv\": \"yearly.csv\"" "\"csv\": \"../../../../../../etc/passwd\"" summary "${summary}")
file(WRITE "${WORK}/escape/summary.json" "${summary}")
racesim(escape ARGS compare "${WORK}/escape" yearly continuous)
expect_rc(escape 2)
expect_match(escape ERR "racesim: error: .*names the trajectory file '\\.\\./\\.\\./[./]*etc/passwd' of scenario 'yearly': not a file name inside the results directory; refused")

# ... or through a symbolic link.
file(REMOVE_RECURSE "${WORK}/link")
file(COPY "${WORK}/good/" DESTINATION "${WORK}/link")
file(REMOVE "${WORK}/link/yearly.csv")
file(CREATE_LINK "${WORK}/good/yearly.csv" "${WORK}/link/yearly.csv" SYMBOLIC)
racesim(link ARGS compare "${WORK}/link" yearly continuous)
expect_rc(link 2)
expect_match(link ERR "racesim: error: .*link/yearly\\.csv is a link to .*good/yearly\\.csv, outside the results directory; refused")

# --csv into the results directory: refused before anything is written; the file is unchanged.
file(READ "${WORK}/good/summary.json" before)
racesim(into ARGS compare "${WORK}/good" yearly continuous --csv "${WORK}/good/summary.json")
expect_rc(into 2)
expect_match(into ERR "racesim: error: --csv .* lies inside the results directory .*: refused, it could overwrite a result")
expect_match(into ERR "racesim: note: write it elsewhere, e.g. --csv yearly-vs-continuous\\.csv")
file(READ "${WORK}/good/summary.json" after)
if(NOT before STREQUAL after)
  fail("--csv into the results directory changed summary.json")
endif()

# The undamaged directory still compares.
racesim(good ARGS compare "${WORK}/good" yearly continuous --csv "${WORK}/rows.csv")
expect_rc(good 0)
expect_exists("${WORK}/rows.csv")
racesim_finish()
