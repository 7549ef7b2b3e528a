# Command-line usage errors exit 2 (and print a hint), never 1 or 3.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(unknown_subcommand ARGS frobnicate)
expect_rc(unknown_subcommand 2)
expect_match(unknown_subcommand ERR "Run with --help for more information")

racesim(no_subcommand ARGS)
expect_rc(no_subcommand 2)
expect_match(no_subcommand ERR "A subcommand is required")

racesim(run_without_config ARGS run)
expect_rc(run_without_config 2)
expect_match(run_without_config ERR "config is required")

racesim(validate_without_config ARGS validate)
expect_rc(validate_without_config 2)
expect_match(validate_without_config ERR "config is required")

racesim(describe_without_type ARGS describe)
expect_rc(describe_without_type 2)
expect_match(describe_without_type ERR "racesim: error: describe needs a plugin TYPE, --all or --json-schema")

racesim(out_without_value ARGS run "${TABLE2}" --out)
expect_rc(out_without_value 2)

racesim(bad_format ARGS describe continuous-doubling --format yaml)
expect_rc(bad_format 2)
expect_match(bad_format ERR "--format: yaml not in {text,markdown,json}")
expect_empty(bad_format OUT)

racesim(unknown_option ARGS run "${TABLE2}" --outdir x)
expect_rc(unknown_option 2)

racesim(extra_argument ARGS validate "${TABLE2}" "${TABLE2}")
expect_rc(extra_argument 2)

# None of these may have written anything.
expect_dir_listing("${WORK}")
racesim_finish()
