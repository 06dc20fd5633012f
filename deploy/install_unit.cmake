# Run by `cmake --install` (deploy/CMakeLists.txt): writes the systemd unit
# with the install prefix in place of /usr/local (ExecStart=, Documentation=),
# so that `--prefix /usr` yields a unit naming /usr/bin/sejfd.
# In: SEJF_UNIT_SOURCE, CMAKE_INSTALL_PREFIX (the prefix in force), DESTDIR.
file(READ "${SEJF_UNIT_SOURCE}" unit)
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" unit "${unit}")
set(target "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/systemd/system/sejfd.service")
message(STATUS "Installing: ${target}")
file(WRITE "${target}" "${unit}")
