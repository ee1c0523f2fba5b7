# Writes the commit the build comes from into a header, at every build (not
# only at configure time: a binary rebuilt after a commit used to report the
# commit it was configured at). "-dirty" marks uncommitted changes to the
# code bench runs (kernels/, bench/, reference/, CMakeLists.txt); results/
# is left out, since bench itself appends there. The file is rewritten only
# when its text changes, so an unchanged commit rebuilds nothing.
# Usage: cmake -DSOURCE_DIR=<repo> -DOUTPUT=<header> -P tools/git_commit.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE failed)
if(failed)
  set(commit "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- kernels bench reference CMakeLists.txt
                  WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty)
    string(APPEND commit "-dirty")
  endif()
endif()
set(text "/* Generated at build time by tools/git_commit.cmake; do not edit. */\n#define KB_GIT_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
