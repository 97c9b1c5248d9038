// Schema version 3: claim tokens (docs/workers.md, "Claims, leases and fencing"). Every claim
// of a queue row stamps a fresh lease_token on it; every write that renews or ends the claim
// names that token and changes nothing once another claim has taken the row over. The token
// stays on a finished row, so a COMMIT whose answer was lost can be told apart from a takeover.
#include "db/migrations/migrations.h"

namespace scrapersky::db::internal {

std::vector<std::string> schema_v3(Dialect) {
  return {
      "ALTER TABLE jobs ADD COLUMN lease_token text",
      "ALTER TABLE domains ADD COLUMN lease_token text",
      "ALTER TABLE sitemap_files ADD COLUMN lease_token text",
  };
}

}  // namespace scrapersky::db::internal
