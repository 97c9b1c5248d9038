// Sitemap ingestion (docs/api.md, "Endpoints", Sitemap URLs): sitemap URLs submitted directly or by
// CSV become sitemap_files rows (discovery_method manual, sitemap_type NULL until fetched) under
// their normalised domain; auto_import queues the WF5 import at once.
#include <algorithm>
#include <cctype>

#include "api/multipart.h"
#include "api/routes/csv_upload.h"
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "sitemap/domain.h"
#include "sitemap/target.h"
#include "store/domain_curation.h"
#include "store/domains.h"
#include "store/sitemap_file_records.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;
using model::SitemapCurationStatus;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

struct SubmittedSitemap {
  std::string url;     // scheme and host lower-case, the rest as sent
  std::string domain;  // normalised
};

// A sitemap URL: http(s) with a host, and a path that ends in .xml (.xml.gz) or mentions
// "sitemap" (docs/api.md, "Endpoints", Sitemap URLs). nullopt with `why` otherwise.
std::optional<SubmittedSitemap> sitemap_url_domain(const std::string& url, std::string& why) {
  const std::string low = lower(url);
  if (low.rfind("http://", 0) != 0 && low.rfind("https://", 0) != 0) {
    why = "URL must start with http:// or https://";
    return std::nullopt;
  }
  try {
    const auto target = sitemap::classify_target(url);
    if (target.kind != sitemap::Target::Kind::kSitemapUrl) {
      why = "URL must be a sitemap file (.xml)";
      return std::nullopt;
    }
    const auto host_start = low.find("://") + 3;
    const auto path_start = std::min(low.find_first_of("/?#", host_start), low.size());
    auto path = low.substr(path_start);
    path = path.substr(0, path.find_first_of("?#"));
    const auto ends_with = [&](std::string_view suffix) {
      return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (!ends_with(".xml") && !ends_with(".xml.gz") && path.find("sitemap") == std::string::npos) {
      why = "URL must be a sitemap file (.xml)";
      return std::nullopt;
    }
    return SubmittedSitemap{target.origin + url.substr(path_start),
                            sitemap::normalize_domain(target.origin)};
  } catch (const sitemap::Error& e) {
    why = e.what();
    return std::nullopt;
  }
}

Response direct_submit(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto urls = body.required_string_list("sitemap_urls", {.min = 1, .max = 50});
  const bool auto_import = body.optional_bool("auto_import").value_or(false);
  const auto domain_id = body.optional_uuid("domain_id");
  body.finish();
  std::vector<SubmittedSitemap> sitemaps;
  std::vector<FieldError> errors;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    std::string why;
    if (auto sitemap = sitemap_url_domain(urls[i], why)) {
      sitemaps.push_back(std::move(*sitemap));
    } else {
      errors.push_back(value_error(json::array({"body", "sitemap_urls", i}),
                                   why + ": " + urls[i], urls[i]));
    }
  }
  if (!errors.empty()) throw validation_error(std::move(errors));
  const auto created_by = caller_id(request);
  std::vector<std::string> ids;
  try {
    ids = write_unit(engine, [&](db::Transaction& tx) {
      std::vector<std::string> inserted;
      for (const auto& sitemap : sitemaps) {
        if (const auto existing = store::find_sitemap_file_by_url(tx, sitemap.url)) {
          throw ApiError(409,
                         "Sitemap already exists: " + sitemap.url + " (ID: " + *existing + ")");
        }
        if (domain_id && store::find_domain_name(tx, *domain_id) != sitemap.domain) {
          throw validation_error({value_error(
              json::array({"body", "domain_id"}),
              "domain_id does not match the domain of " + sitemap.url + " ('" + sitemap.domain +
                  "')",
              *domain_id)});
        }
        store::NewSitemapFile file;
        file.domain_id = store::find_or_create_domain(tx, sitemap.domain);
        file.url = sitemap.url;
        file.curation = auto_import ? SitemapCurationStatus::kSelected : SitemapCurationStatus::kNew;
        file.queue_import = auto_import;
        file.created_by = created_by;
        inserted.push_back(store::insert_sitemap_file(tx, file));
      }
      return inserted;
    });
  } catch (const db::IntegrityError&) {
    throw ApiError(409, "Sitemap already exists", "A URL was submitted twice");
  }
  return Response::json(200, {{"submitted_count", ids.size()},
                              {"sitemap_ids", ids},
                              {"auto_queued", auto_import}});
}

Response import_csv(db::Engine& engine, Request& request) {
  const auto file = read_uploaded_file(request, "file");
  const auto values =
      read_csv_values(file, {"sitemap_url", "sitemap", "url", "sitemaps", "sitemap_urls"});
  const auto created_by = caller_id(request);
  CsvImportReport report(values.size());
  write_unit(engine, [&](db::Transaction& tx) {
    for (const auto& value : values) {
      std::string why;
      const auto sitemap = sitemap_url_domain(value.value, why);
      if (!sitemap) {
        report.error(value, "Invalid sitemap URL: " + value.value + " (" + why + ")");
      } else if (const auto existing = store::find_sitemap_file_by_url(tx, sitemap->url)) {
        report.skipped(value, *existing, "Sitemap already exists");
      } else {
        store::NewSitemapFile row;
        row.domain_id = store::find_or_create_domain(tx, sitemap->domain);
        row.url = sitemap->url;
        row.created_by = created_by;
        report.success(value, store::insert_sitemap_file(tx, row));
      }
    }
  });
  return Response::json(200, report.to_json());
}

}  // namespace

void add_sitemap_ingest_routes(Router& router, db::Engine& engine) {
  db::Engine* e = &engine;
  router.add("POST", "/api/v3/sitemaps/direct-submit",
             with_db_errors([e](Request& r) { return direct_submit(*e, r); }),
             {.summary = "Add sitemap files by URL (409 on a duplicate; auto_import queues them)",
              .doc = {.request_body = "SitemapDirectSubmit",
                      .responses = {{200, "The sitemap files were added", "SitemapDirectSubmitResult"}}}});
  router.add("POST", "/api/v3/sitemaps/import-csv",
             with_db_errors([e](Request& r) { return import_csv(*e, r); }),
             {.summary = "Add sitemap files from a CSV upload (multipart field `file`)",
              .doc = {.request_body = "CsvUpload",
                      .request_content_type = "multipart/form-data",
                      .responses = {{200, "A report per row", "CsvImportReport"}}}});
}

}  // namespace scrapersky::api::routes
