#pragma once
// The pg_type oids this directory names: the binary encodings (pg_binary_copy for COPY FROM,
// pg_binary_cells for results) and the typed parameters and timestamptz results of
// pg_connection.
namespace scrapersky::db::internal {

enum PgType : unsigned {
  kBool = 16,
  kInt8 = 20,
  kInt2 = 21,
  kInt4 = 23,
  kText = 25,
  kJson = 114,
  kUnknown = 705,
  kFloat4 = 700,
  kFloat8 = 701,
  kBpchar = 1042,
  kVarchar = 1043,
  kTimestamp = 1114,
  kTimestamptz = 1184,
  kUuid = 2950,
  kJsonb = 3802,
};

}  // namespace scrapersky::db::internal
