#include "db/errors.h"

namespace scrapersky::db {

void throw_error(std::string_view sqlstate, const std::string& message) {
  const std::string state(sqlstate);
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08") throw ConnectionError(state, message);
  if (cls == "23") throw IntegrityError(state, message);
  if (cls == "22") throw DataError(state, message);
  if (sqlstate == "40001" || sqlstate == "40P01") throw SerializationError(state, message);
  if (sqlstate == "25P02") throw TransactionFailed(state, message);
  // Server shutdown / admin termination mean the connection is gone.
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    throw ConnectionError(state, message);
  }
  throw Error(state, message);
}

}  // namespace scrapersky::db
