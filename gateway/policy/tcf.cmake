# IAB TCF v2.2/v2.3 decoder + consent policy: static library hashgate_tcf (standard library only).
# Included by gateway/CMakeLists.txt and cli/CMakeLists.txt; safe to include more than once.
include_guard(GLOBAL)

add_library(hashgate_tcf STATIC
  ${CMAKE_CURRENT_LIST_DIR}/tcf.cpp
  ${CMAKE_CURRENT_LIST_DIR}/consent.cpp)
target_include_directories(hashgate_tcf PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_features(hashgate_tcf PUBLIC cxx_std_20)
