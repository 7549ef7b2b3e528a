# cmake -DOUT=<file> -DFILES=<file;file;...> -P WriteSha256List.cmake
#
# Writes OUT in `sha256sum` format (64 lowercase hex digits, two spaces, the file's name), one
# line per file of FILES, sorted by name; `sha256sum -c` checks it in OUT's directory.
if(NOT OUT OR NOT FILES)
  message(FATAL_ERROR "WriteSha256List.cmake: OUT and FILES are required")
endif()
set(lines)
list(SORT FILES)  # one directory: by name
foreach(f IN LISTS FILES)
  file(SHA256 ${f} digest)
  get_filename_component(name ${f} NAME)
  list(APPEND lines "${digest}  ${name}")
endforeach()
list(JOIN lines "\n" text)
file(WRITE ${OUT}.tmp "${text}\n")
file(RENAME ${OUT}.tmp ${OUT})
