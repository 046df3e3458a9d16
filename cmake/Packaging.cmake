# `cpack` (or `cmake --build build --target package`) makes
# slurp_<version>_amd64.deb: the four programs, a man page for each made
# from its --help (help2man), the systemd units of deploy/systemd, the
# docs and the sample Prometheus files. tools/package-check builds it and
# checks it installs into an empty root. README.md, "Debian package".
include(GNUInstallDirs)

install(TARGETS slurpd slurp-worker slurpctl slurp-monitor
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(slurp_man_pages)
  foreach(program slurpd slurp-worker slurpctl slurp-monitor)
    set(page ${CMAKE_BINARY_DIR}/man/${program}.1)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr
              --version-string=${PROJECT_VERSION} --output=${page}
              $<TARGET_FILE:${program}>
      DEPENDS ${program}
      COMMENT "man page of ${program} from its --help")
    list(APPEND slurp_man_pages ${page})
  endforeach()
  add_custom_target(slurp-man-pages ALL DEPENDS ${slurp_man_pages})
  install(FILES ${slurp_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(FILES deploy/systemd/slurpd@.service
              deploy/systemd/slurp-worker@.service
        DESTINATION lib/systemd/system)  # /usr/lib: bookworm merges /usr
install(FILES README.md docs/CONFIG.md docs/METRICS.md docs/ENGINES.md
              protocol/PROTOCOL.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/prometheus.yml deploy/slurp-alerts.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/prometheus)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME slurp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "slurp maintainers <slurp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "cluster coordinator for context generation over ZeroMQ/CurveZMQ with Raft")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Binaries without their debug info: 110 MB of slurpd shrink to a few.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # slurp_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from the linked libraries
# adduser makes the `slurp` user in postinst.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
