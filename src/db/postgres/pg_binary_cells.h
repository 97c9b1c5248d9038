#pragma once
// Result cells PostgreSQL sent in binary, rendered as the text the db layer hands every caller
// (docs/database.md, "Reading rows"): the server then runs no output function (uuid_out,
// timestamptz_out and float4out were a third of its CPU in an export's page walk) and the
// wire carries 16 bytes for a uuid and 8 for a timestamp instead of 36 and 22.
#include <string>
#include <string_view>

namespace scrapersky::db::internal {

// Renders `bytes`, a binary cell of type `type` (a pg_type oid), into `out` (replaced):
// text types as they are; uuid lowercase with hyphens; timestamptz as UTC
// "YYYY-MM-DDTHH:MM:SSZ" (fractions dropped; "infinity", "-infinity"); integers in decimal;
// float4/float8 as the shortest text that reads back as the value; bool as "t"/"f"; jsonb as
// its text. False for any other type, a malformed cell, or a timestamp outside years 1-9999.
bool render_binary_cell(unsigned type, std::string_view bytes, std::string& out);

// Whether a binary cell of this type is its text as it is (no rendering needed).
bool binary_cell_is_text(unsigned type);

}  // namespace scrapersky::db::internal
