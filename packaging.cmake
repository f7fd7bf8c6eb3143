# Installation and the Debian package (docs/runbook.md, "0. Install"):
#   cmake --install build --prefix /usr/local      # or:
#   cmake --build build --target package           # build/kms-migrate_VERSION_ARCH.deb
include(GNUInstallDirs)
set(KMS_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/kms-migrate)

install(TARGETS kms-migrate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The man page: docs/kms-migrate.1 with the version of project(), gzipped as Debian installs them.
set(VERSION ${PROJECT_VERSION})
configure_file(${CMAKE_SOURCE_DIR}/docs/kms-migrate.1 ${CMAKE_BINARY_DIR}/man/kms-migrate.1 @ONLY)
find_program(KMS_GZIP gzip REQUIRED)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/kms-migrate.1.gz
                   COMMAND ${KMS_GZIP} -9 -n -c ${CMAKE_BINARY_DIR}/man/kms-migrate.1 > ${CMAKE_BINARY_DIR}/man/kms-migrate.1.gz
                   DEPENDS ${CMAKE_BINARY_DIR}/man/kms-migrate.1 COMMENT "gzip: the man page")
add_custom_target(man_page ALL DEPENDS ${CMAKE_BINARY_DIR}/man/kms-migrate.1.gz)
install(FILES ${CMAKE_BINARY_DIR}/man/kms-migrate.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${CMAKE_SOURCE_DIR}/migrate/kms-migrate.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME kms-migrate)
# Debian's own documents: the copyright, the changelog (gzipped, as a native
# package's), and a README for the administrator (not the developers' one).
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
                   COMMAND ${KMS_GZIP} -9 -n -c ${CMAKE_SOURCE_DIR}/packaging/changelog > ${CMAKE_BINARY_DIR}/packaging/changelog.gz
                   DEPENDS ${CMAKE_SOURCE_DIR}/packaging/changelog COMMENT "gzip: the changelog")
add_custom_target(debian_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz ${CMAKE_SOURCE_DIR}/packaging/copyright
              ${CMAKE_SOURCE_DIR}/packaging/README
        DESTINATION ${KMS_DOC_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/docs/runbook.md ${CMAKE_SOURCE_DIR}/docs/commands.md
              ${CMAKE_SOURCE_DIR}/docs/legacy-store.md ${CMAKE_SOURCE_DIR}/docs/database.md
              ${CMAKE_SOURCE_DIR}/docs/reports.md ${CMAKE_SOURCE_DIR}/docs/dialect.md
        DESTINATION ${KMS_DOC_DIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/fixtures/sample-store DESTINATION ${KMS_DOC_DIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kms-migrate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "kms-migrate")
# Who answers for the package: set it to the team's address when building for release
# (cmake -DKMS_MAINTAINER="Name <address>"); packaging/changelog names the same.
set(KMS_MAINTAINER "kms-migrate maintainers <kms-migrate-maintainers@example.org>"
    CACHE STRING "the Debian package's Maintainer field")
set(CPACK_PACKAGE_CONTACT "${KMS_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "upgrade an Exchange 5.0 KMS key store to the Exchange 5.5 database")
# Lines of at most 80 characters, as Debian's control file wants them.
set(CPACK_PACKAGE_DESCRIPTION "Reads the Exchange Server 5.0 Key Management Server client store (one
INI file per mailbox), applies the known fix-ups, writes and verifies a
SQLite database with the Exchange 5.5 schema, and reports on every file,
with an HTML sign-off report.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion, man-db")
# The runtime dependencies, from the binary's own libraries (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
