// Operations artefacts: the systemd unit (verify, security rating), the
// install layout, and the .deb's dependencies. Each check skips with a message
// when its tool (systemd-analyze, cpack, dpkg) is missing on the machine.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "core/strings.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;
namespace fs = std::filesystem;

namespace {

struct Shell {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Shell sh(const std::string& command) {
  Shell r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int rc = pclose(p);
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return r;
}

bool have(const std::string& tool) { return sh("command -v " + tool).status == 0; }

std::string build_dir() { return fs::path(muniscope_binary()).parent_path().string(); }

// The layout (/etc, /lib/systemd) is the one of the default prefix /usr; a
// build configured for another prefix is not what these tests describe.
bool default_prefix() {
  const std::string cache = read_file(build_dir() + "/CMakeCache.txt");
  if (cache.find("CMAKE_INSTALL_PREFIX:PATH=/usr\n") != std::string::npos) return true;
  MESSAGE("build configured with another CMAKE_INSTALL_PREFIX than /usr; skipped");
  return false;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

}  // namespace

TEST_CASE("systemd unit: verify is clean and the offline security rating is at most 2.0") {
  if (!have("systemd-analyze")) {
    MESSAGE("systemd-analyze not installed; skipped");
    return;
  }
  const std::string unit = read_file(source_dir() + "/systemd/muniscope.service");
  for (const char* required :
       {"Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=", "Restart=on-failure",
        "DynamicUser=yes", "StateDirectory=muniscope", "ConfigurationDirectory=muniscope",
        "LoadCredential=", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
        "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n"}) {
    CHECK_MESSAGE(unit.find(required) != std::string::npos, required);
  }
  // verify checks that ExecStart's binary exists and that the manual page
  // opens: point both at this build, change nothing else.
  TempDir dir;
  fs::create_directories(dir.file("man/man1"));
  fs::copy_file(build_dir() + "/muniscope.1", dir.file("man/man1/muniscope.1"));
  write_file(dir.file("muniscope.service"),
             replace_all(unit, "/usr/bin/muniscope", muniscope_binary()));
  // Without man(1) installed (minimal images) the Documentation= check cannot run.
  const bool have_man = have("man");
  if (!have_man) MESSAGE("man not installed; verifying without the Documentation= check");
  const Shell verify =
      sh("cd " + dir.path().string() + " && MANPATH=" + dir.file("man") +
         " systemd-analyze verify" + (have_man ? "" : " --man=no") + " ./muniscope.service");
  CHECK_MESSAGE(verify.status == 0, verify.out);
  CHECK_MESSAGE(verify.out.empty(), verify.out);  // no warnings either

  const Shell security = sh("cd " + dir.path().string() +
                            " && systemd-analyze security --offline=true ./muniscope.service");
  std::smatch m;
  REQUIRE_MESSAGE(
      std::regex_search(
          security.out, m,
          std::regex(R"(Overall exposure level for muniscope\.service: ([0-9.]+) (\w+))")),
      security.out);
  const double exposure = std::stod(m[1].str());
  MESSAGE("systemd-analyze security: " << m[1].str() << " " << m[2].str());
  CHECK(exposure <= 2.0);
  CHECK(m[2].str() == "OK");
}

TEST_CASE("install: cmake --install puts every file in its FHS place and keeps an edited config") {
  if (!fs::exists(build_dir() + "/cmake_install.cmake")) {
    MESSAGE("no cmake_install.cmake next to the binary; skipped");
    return;
  }
  if (!default_prefix()) return;
  TempDir dest;
  const std::string install = "DESTDIR=" + dest.path().string() + " cmake --install " + build_dir();
  const Shell first = sh(install);
  REQUIRE_MESSAGE(first.status == 0, first.out);
  const std::string root = dest.path().string();
  for (const char* f :
       {"/usr/bin/muniscope", "/usr/share/man/man1/muniscope.1.gz",
        "/usr/share/doc/muniscope/copyright", "/usr/share/doc/muniscope/changelog.gz",
        "/lib/systemd/system/muniscope.service", "/etc/muniscope/muniscope.yaml",
        "/etc/muniscope/municipalities.d/sachsen.yaml",
        "/usr/share/muniscope/survey/kgst2016.codebook.yaml", "/usr/share/doc/muniscope/README.md",
        "/usr/share/doc/muniscope/operations.md", "/usr/share/doc/muniscope/survey.md"}) {
    CHECK_MESSAGE(fs::exists(root + f), std::string(f));
  }
  // The credentials directory is root's alone.
  struct stat st {};
  REQUIRE(stat((root + "/etc/muniscope/credentials").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // The unit starts the installed binary with the installed config.
  const std::string unit = read_file(root + "/lib/systemd/system/muniscope.service");
  CHECK(unit.find("ExecStart=/usr/bin/muniscope run --config /etc/muniscope/muniscope.yaml") !=
        std::string::npos);
  // The manual page is gzip-compressed (Debian policy 12.3) and reads back.
  CHECK(sh("gzip -dc " + root + "/usr/share/man/man1/muniscope.1.gz").out.rfind(".TH MUNISCOPE 1", 0) ==
        0);
  CHECK_FALSE(fs::exists(root + "/usr/share/man/man1/muniscope.1"));
  CHECK(read_file(root + "/usr/share/doc/muniscope/copyright").find("License: Apache-2.0") !=
        std::string::npos);
  // The installed config is valid and keeps the store in the state directory.
  const Shell check =
      sh("cd " + root + "/etc/muniscope && " + root + "/usr/bin/muniscope check-config " + root +
         "/etc/muniscope/muniscope.yaml");
  CHECK_MESSAGE(check.status == 0, check.out);
  CHECK(check.out.find("store: /var/lib/muniscope/muniscope.db") != std::string::npos);
  // Installing again (an upgrade from source) keeps the administrator's edits.
  write_file(root + "/etc/muniscope/muniscope.yaml",
             read_file(root + "/etc/muniscope/muniscope.yaml") + "# edited\n");
  const Shell second = sh(install);
  REQUIRE_MESSAGE(second.status == 0, second.out);
  CHECK(second.out.find("Keeping existing") != std::string::npos);
  CHECK(ends_with(read_file(root + "/etc/muniscope/muniscope.yaml"), "# edited\n"));
}

TEST_CASE("package: the .deb declares the Debian package of every library the binary links") {
#ifdef MUNISCOPE_SANITIZED
  MESSAGE("sanitizer build: packaging is checked in the regular build; skipped");
  return;
#endif
  if (!have("cpack") || !have("dpkg-deb") || !have("readelf") ||
      !fs::exists(build_dir() + "/CPackConfig.cmake")) {
    MESSAGE("cpack, dpkg-deb or readelf missing; skipped");
    return;
  }
  if (!default_prefix()) return;
  TempDir out;
  const Shell pack = sh("cd " + build_dir() + " && cpack --config CPackConfig.cmake -G DEB -B " +
                        out.path().string());
  REQUIRE_MESSAGE(pack.status == 0, pack.out);
  const std::string deb =
      out.file("muniscope_" MUNISCOPE_VERSION "_" + sh("dpkg --print-architecture").out);
  const std::string deb_file = std::string(trim(deb)) + ".deb";
  REQUIRE_MESSAGE(fs::exists(deb_file), pack.out);
  const std::string depends = sh("dpkg-deb -f " + deb_file + " Depends").out;
  MESSAGE("Depends: " << depends);
  // Every library the binary needs directly belongs to a package named in
  // Depends. ldd resolves each soname to the path dpkg registered.
  const Shell needed = sh("readelf -d " + muniscope_binary() +
                          " | sed -n 's/.*Shared library: \\[\\(.*\\)\\]/\\1/p'");
  const Shell resolved = sh("ldd " + muniscope_binary());
  REQUIRE(needed.status == 0);
  int checked = 0;
  for (const std::string& soname : split(needed.out, '\n')) {
    if (soname.empty()) continue;
    std::smatch lib;
    const std::regex line_re("\\b" + std::regex_replace(soname, std::regex(R"([.+])"), R"(\$&)") +
                             R"( => (\S+))");
    if (!std::regex_search(resolved.out, lib, line_re)) continue;  // the loader itself
    // dpkg knows a library under its link name or its real file, with or
    // without the /usr of a merged /usr.
    const std::string path = lib[1].str();
    std::string package(
        trim(sh("r=$(readlink -f " + path + "); (dpkg -S " + path +
                " || dpkg -S \"$r\" || dpkg -S \"${r#/usr}\") 2>/dev/null | head -1 | cut -d: -f1")
                 .out));
    if (package.empty()) continue;  // not from a package (cannot be declared)
    CHECK_MESSAGE(depends.find(package) != std::string::npos, soname << " from " << package);
    ++checked;
  }
  CHECK(checked >= 8);
  for (const char* runtime : {"ca-certificates", "tzdata"})
    CHECK(depends.find(runtime) != std::string::npos);
  const std::string conffiles = sh("dpkg-deb -I " + deb_file + " conffiles").out;
  CHECK(conffiles.find("/etc/muniscope/muniscope.yaml") != std::string::npos);
  const std::string contents = sh("dpkg-deb -c " + deb_file).out;
  CHECK(contents.find("./lib/systemd/system/muniscope.service") != std::string::npos);
  CHECK(contents.find("./usr/share/man/man1/muniscope.1.gz") != std::string::npos);
  CHECK(contents.find("./usr/share/doc/muniscope/copyright") != std::string::npos);
  CHECK(contents.find("./usr/share/doc/muniscope/changelog.gz") != std::string::npos);
}
