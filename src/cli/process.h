#pragma once
// Process-wide plumbing shared by the long-running subcommands: memory policy, logging set-up
// and Ctrl-C / SIGTERM handling.
#include <atomic>
#include <functional>
#include <thread>

#include "config/settings.h"

namespace scrapersky::cli {

// Keeps memory the process frees for its next allocations instead of handing it back to the
// kernel: a scan frees and allocates megabytes of rows a batch, and taking them back from the
// kernel each time cost a page fault per 4 KiB (1M URLs on PostgreSQL: 5.3 s -> 4.3-4.5 s,
// peak RSS unchanged; docs/cli.md). Call once, before any thread starts.
void keep_freed_memory();

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
