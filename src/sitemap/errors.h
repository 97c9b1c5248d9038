#pragma once
// The one exception family of the sitemap room: raised for bad user input (targets,
// domain names). Parse problems in sitemap files are values (FileError), never exceptions.
#include <stdexcept>
#include <string>

namespace scrapersky::sitemap {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A scan target that is neither a host nor an http(s) URL (the CLI maps it to exit 2).
class TargetError : public Error {
 public:
  using Error::Error;
};

// A domain that cannot be normalised (sitemap::normalize_domain).
class DomainError : public Error {
 public:
  using Error::Error;
};

}  // namespace scrapersky::sitemap
