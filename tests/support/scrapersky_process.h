#pragma once
// One `scrapersky` subcommand as a child process, with extra environment and its output
// (stdout and stderr) in a file, for tests of how the binary starts, works and stops. Killed
// with SIGKILL if still running when destroyed. Header-only: the including test target defines
// SCRAPERSKY_BINARY (the path of the binary, `$<TARGET_FILE:scrapersky>`).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef SCRAPERSKY_BINARY
#error "define SCRAPERSKY_BINARY (the scrapersky binary's path) for this test target"
#endif

namespace scrapersky::test_support {

class ScraperskyProcess {
 public:
  ScraperskyProcess(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, std::string log_path)
      : log_path_(std::move(log_path)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
      const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<std::string> all = {SCRAPERSKY_BINARY};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SCRAPERSKY_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~ScraperskyProcess() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ScraperskyProcess(const ScraperskyProcess&) = delete;
  ScraperskyProcess& operator=(const ScraperskyProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The exit code (128 + signal when killed) once the process has ended within `limit`,
  // else -1 and it keeps running.
  int wait_exit(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (status_ < 0) {
      int raw = 0;
      if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
        status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
  }
  // Sends `sig` (unless it has ended already), then wait_exit(limit).
  int stop(int sig, std::chrono::milliseconds limit) {
    if (status_ < 0) ::kill(pid_, sig);
    return wait_exit(limit);
  }
  // SIGTERM, then wait_exit(limit).
  int terminate(std::chrono::milliseconds limit) { return stop(SIGTERM, limit); }

  std::string log() const {
    std::ifstream in(log_path_);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool logged(std::string_view text) const { return log().find(text) != std::string::npos; }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace scrapersky::test_support
