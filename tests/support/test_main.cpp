// One main for every muniscope test executable: doctest, with spdlog turned
// down so expected failures do not flood the test output (set
// MUNISCOPE_TEST_LOG=debug to see them).
//
// ctest runs each case by name (--test-case=NAME). A name that CMake splits
// (it treats ';' as a list separator) or that matches nothing would run no
// case at all and pass silently; this main fails instead when a name filter
// selects no case, so every case defined is a case executed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "connectors/builtin.h"
#include "daemon/logging.h"
#include "test_connector.h"

namespace {

int g_cases_started = 0;

struct CaseCounter : doctest::IReporter {
  explicit CaseCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++g_cases_started; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("case_counter", 1, CaseCounter);

}  // namespace

int main(int argc, char** argv) {
  const char* level = std::getenv("MUNISCOPE_TEST_LOG");
  muni::setup_logging(level != nullptr ? level : "off");
  muni::register_builtin_platforms();
  muni::test::register_toy_platforms();
  bool name_filter = false;
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--test-case=", 0) == 0 || a.rfind("-tc=", 0) == 0) name_filter = true;
    if (a.rfind("--list", 0) == 0 || a.rfind("-l", 0) == 0 || a.rfind("-ltc", 0) == 0)
      listing = true;
  }
  doctest::Context context(argc, argv);
  const int rc = context.run();
  if (context.shouldExit() || listing) return rc;
  if (name_filter && g_cases_started == 0) {
    std::fprintf(stderr,
                 "muniscope tests: the --test-case filter matched no test case; the name is "
                 "probably split or mangled (a ';' in a test name?)\n");
    return 1;
  }
  return rc;
}
