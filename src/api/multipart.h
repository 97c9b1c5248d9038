#pragma once
// multipart/form-data (RFC 7578) for the CSV import endpoints: one part named `file`.
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"

namespace scrapersky::api {

struct FormPart {
  std::string name;          // Content-Disposition name
  std::string filename;      // Content-Disposition filename; empty for plain fields
  std::string content_type;  // the part's Content-Type, if sent
  std::string content;       // the bytes
};

// Every part of a multipart/form-data body. Throws ApiError 400 for a body that is not
// multipart/form-data, lacks a boundary, or is truncated.
std::vector<FormPart> parse_multipart(std::string_view content_type, std::string_view body);

// The part named `field` of the request; 422 (missing, loc ["body", field]) when the body is
// not multipart or has no such part, the way FastAPI answers a missing UploadFile.
FormPart read_uploaded_file(const Request& request, std::string_view field = "file");

}  // namespace scrapersky::api
