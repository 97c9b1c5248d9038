# scrapersky_room(NAME DEPS ...): the static library of one src/<room>/ folder, built from
# every .cc file in it. A room with no sources yet is an INTERFACE library.
function(scrapersky_room name)
  cmake_parse_arguments(R "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(srcs)
    add_library(scrapersky_${name} STATIC ${srcs})
    target_link_libraries(scrapersky_${name} PUBLIC ${R_DEPS})
  else()
    add_library(scrapersky_${name} INTERFACE)
    target_link_libraries(scrapersky_${name} INTERFACE ${R_DEPS})
  endif()
endfunction()

# scrapersky_test(NAME SOURCES ... DEPS ... LABELS ...): one GoogleTest binary registered with CTest.
function(scrapersky_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  # A listed source that is missing stops the configure step, naming it: a test that is not
  # built would otherwise drop out of CI without anyone noticing.
  if(NOT T_SOURCES)
    message(FATAL_ERROR "scrapersky_test(${name}): no SOURCES listed")
  endif()
  foreach(src ${T_SOURCES})
    get_filename_component(path ${src} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${path})
      message(FATAL_ERROR "scrapersky_test(${name}): source ${src} does not exist (${path})")
    endif()
  endforeach()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  # Tests that share the one test PostgreSQL cluster never run at the same time as each other.
  set(lock "")
  if("postgres" IN_LIST T_LABELS)
    set(lock RESOURCE_LOCK postgres)
  endif()
  # One label per binary: gtest_discover_tests passes PROPERTIES on unquoted, so a second
  # label would be read as a property name and drop everything after it (the lock included).
  list(LENGTH T_LABELS label_count)
  if(label_count GREATER 1)
    message(FATAL_ERROR "scrapersky_test(${name}): give one label (unit, fixture or postgres)")
  endif()
  set(labels "${T_LABELS}")
  # Test names carry their binary's name: two binaries running the same specification (SQLite
  # and PostgreSQL) would otherwise share test names, and with them their properties.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 TEST_PREFIX "${name}/"
    PROPERTIES LABELS "${labels}" TIMEOUT 600 ${lock})
endfunction()
