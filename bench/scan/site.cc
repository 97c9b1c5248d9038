#include "site.h"

#include <array>

#include <fmt/format.h>

namespace scrapersky::bench {
namespace {

// splitmix64: a small, good, seedable generator; every entry seeds its own.
struct Mix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

// A bijection on 40 bits: distinct entries get distinct tokens, in an order unrelated to theirs.
std::string token_of(std::uint64_t global_index) {
  constexpr std::uint64_t kMask = (std::uint64_t{1} << 40) - 1;
  std::uint64_t x = (global_index * 0x9E3779B1ULL) & kMask;
  x ^= x >> 20;
  x = (x * 0x5BD1E995ULL) & kMask;
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string token(8, '0');
  for (int i = 7; i >= 0; --i) {
    token[i] = kDigits[x % 36];
    x /= 36;
  }
  return token;
}

constexpr std::array<const char*, 16> kSections{
    "blog",        "products",       "category/home-garden", "news/2023",
    "en-us/help",  "docs/api/v2",    "shop/men/shoes",       "p",
    "stories",     "de/produkte",    "collections/summer",   "events",
    "fr/boutique", "support/articles", "recipes",            "t"};
constexpr std::array<const char*, 32> kWords{
    "best",    "guide",  "how",     "to",      "choose",   "the",     "right",  "running",
    "shoes",   "winter", "jacket",  "review",  "cheap",    "flights", "london", "kitchen",
    "table",   "oak",    "modern",  "design",  "ideas",    "for",     "small",  "apartment",
    "garden",  "tools",  "organic", "coffee",  "beans",    "premium", "wireless", "headphones"};
constexpr std::array<const char*, 7> kChangefreqs{"always", "hourly",  "daily", "weekly",
                                                  "monthly", "yearly", "never"};

}  // namespace

std::string SiteModel::child_path(int file) const {
  return fmt::format("/sitemap-{:02d}.xml.gz", file);
}

SiteEntry SiteModel::entry(int file, int index) const {
  return shape_ == SiteShape::kSorted ? sorted_entry(file, index) : web_entry(file, index);
}

SiteEntry SiteModel::sorted_entry(int f, int i) const {
  SiteEntry e;
  e.url = fmt::format("{}/catalog/section-{:02d}/product-{:07d}-blue-widget-xl.html", origin_, f, i);
  e.loc_xml = e.url;
  e.lastmod_xml = fmt::format("2024-{:02d}-{:02d}T{:02d}:{:02d}:00Z", i % 12 + 1, i % 28 + 1,
                              i % 24, i % 60);
  e.lastmod_utc = e.lastmod_xml;
  return e;
}

SiteEntry SiteModel::web_entry(int f, int i) const {
  const std::uint64_t global = static_cast<std::uint64_t>(f) * urls_per_file_ + i;
  Mix rng{global * 0x2545F4914F6CDD1DULL + 17};
  SiteEntry e;

  // Length: skewed towards short paths, a long tail past 200 bytes.
  const double r = rng.unit();
  const std::size_t target = 30 + static_cast<std::size_t>(r * r * r * 210);
  std::string path = "/";
  path += kSections[rng.below(kSections.size())];
  path += '/';
  std::string slug;
  while (origin_.size() + path.size() + slug.size() + 14 < target) {
    if (!slug.empty()) slug += '-';
    slug += kWords[rng.below(kWords.size())];
  }
  path += slug.empty() ? "item" : slug;
  path += '-';
  path += token_of(global);
  if (rng.below(3) == 0) path += ".html";
  e.url = origin_ + path;
  e.loc_xml = e.url;
  if (rng.below(10) == 0) {  // 10% carry a query string
    const auto size = rng.below(48);
    e.url += fmt::format("?utm_source=newsletter&color=blue&size={}", size);
    e.loc_xml += fmt::format("?utm_source=newsletter&amp;color=blue&amp;size={}", size);
  }

  if (rng.below(20) != 0) {  // 95% have a lastmod, in one of three forms
    const int year = 2015 + static_cast<int>(rng.below(11));
    const int month = 1 + static_cast<int>(rng.below(12));
    const int day = 1 + static_cast<int>(rng.below(28));
    const int hh = static_cast<int>(rng.below(24)), mm = static_cast<int>(rng.below(60)),
              ss = static_cast<int>(rng.below(60));
    const std::string date = fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
    switch (rng.below(3)) {
      case 0:
        e.lastmod_xml = fmt::format("{}T{:02d}:{:02d}:{:02d}+00:00", date, hh, mm, ss);
        e.lastmod_utc = fmt::format("{}T{:02d}:{:02d}:{:02d}Z", date, hh, mm, ss);
        break;
      case 1:
        e.lastmod_xml = date;
        e.lastmod_utc = date + "T00:00:00Z";
        break;
      default:
        e.lastmod_xml = fmt::format("{}T{:02d}:{:02d}:{:02d}Z", date, hh, mm, ss);
        e.lastmod_utc = e.lastmod_xml;
        break;
    }
  }
  if (rng.below(100) < 85) e.changefreq = kChangefreqs[rng.below(kChangefreqs.size())];
  if (rng.below(100) < 80) {
    const int tenths = static_cast<int>(rng.below(11));
    e.priority = tenths / 10.0;
    e.priority_xml = fmt::format("{:.1f}", *e.priority);
  }
  return e;
}

std::string SiteModel::sitemap_body(int file) const {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (int i = 0; i < urls_per_file_; ++i) {
    const SiteEntry e = entry(file, i);
    body += "<url><loc>";
    body += e.loc_xml;
    body += "</loc>";
    if (!e.lastmod_xml.empty()) body += "<lastmod>" + e.lastmod_xml + "</lastmod>";
    if (!e.changefreq.empty()) body += "<changefreq>" + e.changefreq + "</changefreq>";
    if (e.priority) body += "<priority>" + e.priority_xml + "</priority>";
    body += "</url>\n";
  }
  return body + "</urlset>\n";
}

std::string SiteModel::churned_body(int file) const {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  const auto add = [&body](const SiteEntry& e, const std::string& loc_suffix,
                           const std::string& lastmod) {
    body += "<url><loc>" + e.loc_xml + loc_suffix + "</loc>";
    if (!lastmod.empty()) body += "<lastmod>" + lastmod + "</lastmod>";
    if (!e.changefreq.empty()) body += "<changefreq>" + e.changefreq + "</changefreq>";
    if (e.priority) body += "<priority>" + e.priority_xml + "</priority>";
    body += "</url>\n";
  };
  for (int i = 0; i < urls_per_file_; ++i) {
    const SiteEntry e = entry(file, i);
    if (i % 100 == 0) {
      add(e, "/new-in-rescan", e.lastmod_xml);  // one removed, one added in its place
    } else if (i % 100 == 1) {
      add(e, "", "2031-01-01T00:00:00Z");
    } else {
      add(e, "", e.lastmod_xml);
    }
  }
  return body + "</urlset>\n";
}

}  // namespace scrapersky::bench
