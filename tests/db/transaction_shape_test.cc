// Rule 5, checked at compile time: the handle services receive cannot begin, commit or roll
// back, and units of work and sessions cannot be copied (a copy would be a second owner).
#include <gtest/gtest.h>

#include <type_traits>

#include "db/engine.h"

namespace scrapersky::db {
namespace {

template <typename T>
concept CanCommit = requires(T& t) { t.commit(); };
template <typename T>
concept CanRollback = requires(T& t) { t.rollback(); };
template <typename T>
concept CanBegin = requires(T& t) { t.begin(); };
template <typename T>
concept CanExec = requires(T& t) { t.exec("SELECT 1"); };

static_assert(!CanCommit<Transaction>, "services must not be able to commit");
static_assert(!CanRollback<Transaction>, "services must not be able to roll back");
static_assert(!CanBegin<Transaction>, "services must not be able to open a nested transaction");
static_assert(CanExec<Transaction>);
static_assert(!std::is_copy_constructible_v<Transaction>);
static_assert(CanCommit<UnitOfWork>, "the unit of work is what commits");
static_assert(!std::is_copy_constructible_v<UnitOfWork>);
static_assert(!std::is_move_constructible_v<UnitOfWork>);
static_assert(!std::is_copy_constructible_v<Session>);
static_assert(!std::is_default_constructible_v<Session>, "sessions come from the engine only");
static_assert(!std::is_constructible_v<Transaction, internal::Connection*, bool>,
              "nobody outside the unit of work makes a Transaction");

TEST(TransactionShape, HasStatementsOnly) { SUCCEED() << "checked by the static_asserts above"; }

}  // namespace
}  // namespace scrapersky::db
