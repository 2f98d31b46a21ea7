# IAB TCF v2.2/v2.3 decoder + consent policy: static library hashgate_tcf.
# Included by gateway/CMakeLists.txt and cli/CMakeLists.txt; safe to include more than once.
include_guard(GLOBAL)

set(_hg_tcf_dir ${CMAKE_CURRENT_LIST_DIR})
set(_hg_tcf_sources ${_hg_tcf_dir}/consent.cpp)
if(EXISTS ${_hg_tcf_dir}/tcf.cpp)
  list(APPEND _hg_tcf_sources ${_hg_tcf_dir}/tcf.cpp)
endif()
add_library(hashgate_tcf STATIC ${_hg_tcf_sources})
target_include_directories(hashgate_tcf PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_features(hashgate_tcf PUBLIC cxx_std_20)
