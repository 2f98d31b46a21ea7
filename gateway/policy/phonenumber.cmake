# libphonenumber (Google's numbering plans, Debian's build) for the PII guard's phone matcher.
# The library is Debian's libphonenumber8. Its headers come from libphonenumber-dev when that
# package is installed; on bookworm it cannot be (it pulls Boost 1.74 over libboost1.81-dev), so
# third_party/libphonenumber-dev.sh unpacks the same package's headers into ~/.cache/hashgate.
# docs/pii-guard.md explains the choice and how to switch back.
if(HASHGATE_PHONENUMBER_INCLUDE_DIR AND
   NOT EXISTS "${HASHGATE_PHONENUMBER_INCLUDE_DIR}/phonenumbers/phonenumbermatcher.h")
  unset(HASHGATE_PHONENUMBER_INCLUDE_DIR CACHE)  # the cache folder moved (another version)
endif()
find_path(HASHGATE_PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumbermatcher.h)
if(NOT HASHGATE_PHONENUMBER_INCLUDE_DIR)
  execute_process(
    COMMAND ${CMAKE_SOURCE_DIR}/third_party/libphonenumber-dev.sh
    OUTPUT_VARIABLE hashgate_phonenumber_dir
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE hashgate_phonenumber_rc)
  if(NOT hashgate_phonenumber_rc EQUAL 0)
    message(FATAL_ERROR "libphonenumber headers: third_party/libphonenumber-dev.sh failed (run scripts/deps.sh)")
  endif()
  set(HASHGATE_PHONENUMBER_INCLUDE_DIR ${hashgate_phonenumber_dir}/include CACHE PATH
      "libphonenumber headers" FORCE)
endif()
# libphonenumber.so comes with the -dev package; without it, the runtime's soname file.
find_library(HASHGATE_PHONENUMBER_LIBRARY NAMES phonenumber libphonenumber.so.8 REQUIRED)
find_package(Protobuf REQUIRED)
message(STATUS "libphonenumber: ${HASHGATE_PHONENUMBER_LIBRARY}, headers in ${HASHGATE_PHONENUMBER_INCLUDE_DIR}")

add_library(hashgate_phonenumber INTERFACE)
# SYSTEM: their headers are not ours to warn about. Built without I18N_PHONENUMBERS_USE_BOOST
# (Debian's library uses the POSIX singletons), so no Boost header is reached.
target_include_directories(hashgate_phonenumber SYSTEM INTERFACE ${HASHGATE_PHONENUMBER_INCLUDE_DIR})
target_link_libraries(hashgate_phonenumber INTERFACE ${HASHGATE_PHONENUMBER_LIBRARY} protobuf::libprotobuf)
