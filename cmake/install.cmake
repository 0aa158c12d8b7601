# Installation into FHS places and the Debian package (CPack DEB).
#
#   binary        ${bindir}/muniscope
#   manual page   ${mandir}/man1/muniscope.1   (rendered from the CLI definitions)
#   unit          /lib/systemd/system/muniscope.service (under ${prefix} unless it is /usr)
#   config        ${sysconfdir}/muniscope/muniscope.yaml, municipalities.d/, credentials/
#                 (never overwritten: an existing config is kept)
#   survey        ${datadir}/muniscope/survey/  (codebook and fictional example answers)
#   docs          ${docdir}/  (README.md, docs/*.md)
#
# The default prefix is /usr, so `cmake --install build` puts the daemon where
# the unit file and docs/operations.md expect it; pass --prefix to change it.

# --- manual page ------------------------------------------------------------
set(MUNISCOPE_MAN_PAGE ${PROJECT_BINARY_DIR}/muniscope.1)
add_custom_command(
  OUTPUT ${MUNISCOPE_MAN_PAGE}
  COMMAND muniscope man-page > ${MUNISCOPE_MAN_PAGE}
  DEPENDS muniscope
  COMMENT "Rendering the manual page muniscope.1"
  VERBATIM)
add_custom_target(muniscope_man_page ALL DEPENDS ${MUNISCOPE_MAN_PAGE})

# --- systemd unit and config, with paths matching the prefix -----------------
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(MUNISCOPE_UNIT_DIR /lib/systemd/system)
else()
  message(STATUS "muniscope: prefix ${CMAKE_INSTALL_PREFIX}; the .deb (make package) needs the default /usr")
  set(MUNISCOPE_UNIT_DIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(MUNISCOPE_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/muniscope)

file(READ ${PROJECT_SOURCE_DIR}/systemd/muniscope.service unit_text)
string(REPLACE "/usr/bin/muniscope" "${CMAKE_INSTALL_FULL_BINDIR}/muniscope" unit_text "${unit_text}")
string(REPLACE "/etc/muniscope/" "${MUNISCOPE_CONFIG_DIR}/" unit_text "${unit_text}")
file(WRITE ${PROJECT_BINARY_DIR}/install/muniscope.service "${unit_text}")

# The installed config is the annotated example with the store in the
# service's state directory (where root's CLI finds it too).
file(READ ${PROJECT_SOURCE_DIR}/config/example.yaml config_text)
string(REPLACE "  path: var/muniscope.db" "  path: /var/lib/muniscope/muniscope.db" config_text "${config_text}")
file(WRITE ${PROJECT_BINARY_DIR}/install/muniscope.yaml "${config_text}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/systemd/muniscope.service ${PROJECT_SOURCE_DIR}/config/example.yaml)

install(TARGETS muniscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Debian policy 12.3: manual pages compressed with gzip -9n (lintian
# uncompressed-manual-page); -n keeps the build reproducible.
add_custom_command(
  OUTPUT ${MUNISCOPE_MAN_PAGE}.gz
  COMMAND gzip -9nc ${MUNISCOPE_MAN_PAGE} > ${MUNISCOPE_MAN_PAGE}.gz
  DEPENDS ${MUNISCOPE_MAN_PAGE}
  VERBATIM)
add_custom_target(muniscope_man_page_gz ALL DEPENDS ${MUNISCOPE_MAN_PAGE}.gz)
install(FILES ${MUNISCOPE_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# Debian policy 12.5 and 12.7: the copyright file and a changelog in the
# package's doc directory; the licence text beside the sources.
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME muniscope)
# A native package's changelog.gz is in Debian's format (lintian checks it);
# the upstream changelog goes beside it as it is.
install(FILES ${PROJECT_BINARY_DIR}/install/changelog.gz ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/install/changelog.gz
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/cmake/debian/changelog > ${PROJECT_BINARY_DIR}/install/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/cmake/debian/changelog
  VERBATIM)
add_custom_target(muniscope_changelog_gz ALL DEPENDS ${PROJECT_BINARY_DIR}/install/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/install/muniscope.service DESTINATION ${MUNISCOPE_UNIT_DIR})

# Config files are the administrator's: install them only where none exist
# (dpkg handles upgrades of conffiles itself; the staging dir is always empty).
file(GLOB MUNISCOPE_MUNICIPALITY_FILES ${PROJECT_SOURCE_DIR}/config/municipalities.d/*.yaml)
install(CODE "
  # file(INSTALL) adds DESTDIR itself; the existence check must add it.
  set(dir \"${MUNISCOPE_CONFIG_DIR}\")
  foreach(pair \"${PROJECT_BINARY_DIR}/install/muniscope.yaml|muniscope.yaml\"
               ${MUNISCOPE_MUNICIPALITY_FILES})
    string(FIND \"\${pair}\" \"|\" bar)
    if(bar GREATER -1)
      string(SUBSTRING \"\${pair}\" 0 \${bar} src)
      math(EXPR rest \"\${bar} + 1\")
      string(SUBSTRING \"\${pair}\" \${rest} -1 rel)
    else()
      set(src \"\${pair}\")
      get_filename_component(name \"\${pair}\" NAME)
      set(rel \"municipalities.d/\${name}\")
    endif()
    if(EXISTS \"\$ENV{DESTDIR}\${dir}/\${rel}\")
      message(STATUS \"Keeping existing: \$ENV{DESTDIR}\${dir}/\${rel}\")
    else()
      get_filename_component(dest_dir \"\${dir}/\${rel}\" DIRECTORY)
      file(INSTALL \"\${src}\" DESTINATION \"\${dest_dir}\")
    endif()
  endforeach()
")
# Tokens: readable by root only; the service gets them as credentials.
install(DIRECTORY DESTINATION ${MUNISCOPE_CONFIG_DIR}/credentials
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/survey/ DESTINATION ${CMAKE_INSTALL_DATADIR}/muniscope/survey)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

# --- Debian package ------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME muniscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# No public maintainer address exists yet; .invalid (RFC 2606) says so.
set(CPACK_PACKAGE_CONTACT "muniscope maintainers <maintainers@muniscope.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "observes municipal social media accounts and checks survey answers\n A daemon polls the public accounts of municipalities (Mastodon, Bluesky,\n YouTube, RSS/Atom feeds; more platforms to come), stores their activity\n as time series in SQLite, computes observed usage metrics and compares\n them with self-reported survey answers.")
# Debug information stays in the build tree; the package ships a stripped binary.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Library dependencies with versions come from dpkg-shlibdeps (dpkg-dev);
# without it, the Debian 12 package names of every library the binary links.
# TLS roots and time zone data are read at run time.
find_program(DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates, tzdata, systemd")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libstdc++6, libgcc-s1, libcurl4, libsqlite3-0, libyaml-cpp0.7, libspdlog1.10-fmt9, libfmt9, "
      "libsystemd0, libcpp-httplib0.11, ca-certificates, tzdata, systemd")
endif()
# Files under /etc are conffiles; maintainer scripts reload systemd and
# restart a running daemon on upgrade, but never enable or start it: the
# config needs a contact address and the accounts to observe first.
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/postinst ${PROJECT_BINARY_DIR}/debian/postinst COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/prerm ${PROJECT_BINARY_DIR}/debian/prerm COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/postrm ${PROJECT_BINARY_DIR}/debian/postrm COPYONLY)
set(conffiles "${MUNISCOPE_CONFIG_DIR}/muniscope.yaml\n")
foreach(f ${MUNISCOPE_MUNICIPALITY_FILES})
  get_filename_component(name ${f} NAME)
  string(APPEND conffiles "${MUNISCOPE_CONFIG_DIR}/municipalities.d/${name}\n")
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${conffiles}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles ${PROJECT_BINARY_DIR}/debian/postinst
    ${PROJECT_BINARY_DIR}/debian/prerm ${PROJECT_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
