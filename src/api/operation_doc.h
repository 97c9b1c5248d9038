#pragma once
// What a route tells /openapi.json about itself: its parameters, request body and responses,
// by name of a component schema (openapi_component_schemas()). Router::add refuses a route
// whose description is incomplete (no 2xx response, an undeclared `{param}`, an unknown schema
// name), so a route cannot exist without its entry in the document.
//
//   router.add("GET", "/api/v3/jobs/{job_id}", handler,
//              {.summary = "One job",
//               .doc = {.parameters = {path_uuid_param("job_id")},
//                       .responses = {{200, "The job", "JobStatus"}}}});
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scrapersky::api {

struct ParameterDoc {
  std::string name;
  std::string in = "query";  // "query" or "path"
  nlohmann::json schema;  // an inline JSON schema ({"type":"integer","minimum":1}) or {"$ref":...}
  bool required = false;
  std::string description;
};

struct ResponseDoc {
  int status = 200;
  std::string description;
  std::string schema;  // component schema name; empty for a response without a body (204)
  std::string content_type = "application/json";
};

struct OperationDoc {
  std::vector<ParameterDoc> parameters;
  std::string request_body;  // component schema name; empty: the route reads no body
  std::string request_content_type = "application/json";
  // The success responses (at least one 2xx); the error responses every route can give (401,
  // 422, 500, 503 with the error envelope) are added by the document builder.
  std::vector<ResponseDoc> responses;
  std::string tag;  // groups operations in /docs; derived from the path when empty
};

// Parameter helpers for the common shapes.
ParameterDoc path_uuid_param(std::string name, std::string description = {});
ParameterDoc query_int_param(std::string name, std::optional<std::int64_t> default_value,
                             std::optional<std::int64_t> min, std::optional<std::int64_t> max,
                             std::string description = {});
ParameterDoc query_string_param(std::string name, std::string description = {});
ParameterDoc query_bool_param(std::string name, bool default_value, std::string description = {});
ParameterDoc query_uuid_param(std::string name, std::string description = {});
// A query parameter whose values are a component schema (an enum such as "SitemapCurationStatus").
ParameterDoc query_ref_param(std::string name, const std::string& component,
                             std::string description = {});

// {"$ref": "#/components/schemas/<name>"}
nlohmann::json schema_ref(const std::string& name);

// Every named schema of the API (components.schemas of /openapi.json).
const nlohmann::json& openapi_component_schemas();

// Empty when `doc` is complete for `pattern`, else what is missing.
std::string operation_doc_problem(const std::string& pattern, const OperationDoc& doc);

}  // namespace scrapersky::api
