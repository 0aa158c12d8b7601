// Runs a program as a child process for daemon tests: its stderr goes to a
// file the test can wait on; extra environment variables can be set.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace muni::test {

class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& log_file, const std::map<std::string, std::string>& env = {});
  ~ChildProcess();  // kills the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool alive();
  void signal(int sig);
  // Waits until the log contains `text` (after `from` bytes); false on timeout.
  bool wait_for_log(const std::string& text, int timeout_ms, size_t from = 0);
  std::string log() const;
  // Waits for exit; returns the exit code, or -1 on timeout / signal death.
  int wait_exit(int timeout_ms);

 private:
  pid_t pid_ = -1;
  std::string log_file_;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace muni::test
