#include "test_support.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

namespace muni::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("muniscope-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string source_dir() { return MUNISCOPE_SOURCE_DIR; }

std::string fixture_path(const std::string& relative) {
  return source_dir() + "/tests/fixtures/" + relative;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_fixture(const std::string& relative) { return read_file(fixture_path(relative)); }

std::optional<std::filesystem::path> shared_samples(const std::string& platform) {
  const std::filesystem::path p =
      std::filesystem::path(source_dir()) / ".." / "shared" / "api-samples" / platform;
  if (std::filesystem::is_directory(p)) return std::filesystem::canonical(p);
  return std::nullopt;
}

std::string muniscope_binary() { return MUNISCOPE_BINARY; }

RunResult run_muniscope(const std::string& args) {
  TempDir tmp;
  const std::string out = tmp.file("out"), err = tmp.file("err");
  const std::string cmd = muniscope_binary() + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

TimeMs at(const char* iso) {
  auto t = parse_iso8601(iso);
  REQUIRE_MESSAGE(t.has_value(), "bad time in test: " << iso);
  return *t;
}

}  // namespace muni::test

#include "core/strings.h"

namespace muni::test {

HttpResponse fixture_response(int status, const std::string& body_file,
                              const std::string& headers_file) {
  HttpResponse r;
  r.status = status;
  r.body = read_fixture(body_file);
  if (!headers_file.empty()) {
    for (const std::string& line : split(read_fixture(headers_file), '\n')) {
      const std::string_view l = trim(line);
      if (l.empty() || starts_with(l, "HTTP/")) continue;
      const size_t colon = l.find(':');
      if (colon != std::string_view::npos) {
        r.headers.push_back(
            {std::string(trim(l.substr(0, colon))), std::string(trim(l.substr(colon + 1)))});
      }
    }
  }
  return r;
}

}  // namespace muni::test
