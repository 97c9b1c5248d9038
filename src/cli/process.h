#pragma once
// Process-wide plumbing shared by the long-running subcommands: logging set-up and Ctrl-C /
// SIGTERM handling.
#include <atomic>
#include <functional>
#include <thread>

#include "config/settings.h"

namespace scrapersky::cli {

// spdlog to stderr in LOG_FORMAT (text or json). quiet_info: only warnings and errors.
void configure_logging(const config::Settings& settings, bool quiet_info);

// Watches SIGINT and SIGTERM while it lives; on the first one calls on_interrupt once (from
// its own thread, never from the signal handler).
class InterruptWatch {
 public:
  explicit InterruptWatch(std::function<void()> on_interrupt);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;
  bool fired() const;

 private:
  std::function<void()> on_interrupt_;
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace scrapersky::cli
