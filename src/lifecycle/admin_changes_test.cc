// admin_changes: edit/delete a draft and archive a final election through the Catalog port, and
// their retry when another process wrote the entry between the read and the write (the version
// condition of a shared catalog): the change is decided again on what is stored then.
#include "lifecycle/admin_changes.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "adapters/memory/memory_catalog.h"

namespace urna {
namespace {

// A MemoryCatalog where another "process" changes the entry once, just before this one's
// first write (Update or Delete) lands.
class InterferingCatalog final : public Catalog {
 public:
  Status Create(const Election& e) override { return inner.Create(e); }
  Status Update(const Election& e) override {
    Interfere();
    return inner.Update(e);
  }
  Status Delete(const Election& e) override {
    Interfere();
    return inner.Delete(e);
  }
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
    return inner.Get(id);
  }
  std::vector<std::shared_ptr<const Election>> List() override { return inner.List(); }

  memory::MemoryCatalog inner;
  std::function<void(Election&)> other;  // the other process's change, applied once

 private:
  void Interfere() {
    if (!other) return;
    auto change = std::exchange(other, nullptr);
    Election e = **inner.Get("e");
    change(e);
    ASSERT_TRUE(inner.Update(e).ok());
  }
};

Election Draft() { return {"e", "Title", {{"a", "A"}}, ElectionStatus::kDraft, 5, 0, 0}; }

TEST(AdminChangesTest, EditOnlyADraft) {
  memory::MemoryCatalog catalog;
  ASSERT_TRUE(catalog.Create(Draft()).ok());
  Election spec = Draft();
  spec.title = "New";
  auto edited = EditDraftEntry(catalog, spec, 1);
  ASSERT_TRUE(edited.ok()) << edited.status().message();
  EXPECT_EQ((*catalog.Get("e"))->title, "New");
  spec.id = "unknown";
  EXPECT_EQ(EditDraftEntry(catalog, spec, 1).status().code(), Code::kNotFound);
  Election open = **catalog.Get("e");
  ASSERT_TRUE(OpenElection(open, 10).ok());
  ASSERT_TRUE(catalog.Update(open).ok());
  spec.id = "e";
  EXPECT_EQ(EditDraftEntry(catalog, spec, 1).status().code(), Code::kConflict);
  EXPECT_EQ(DeleteDraftEntry(catalog, "e", 1).code(), Code::kConflict);
  EXPECT_EQ(DeleteDraftEntry(catalog, "unknown", 1).code(), Code::kNotFound);
  EXPECT_EQ(ArchiveEntry(catalog, "unknown", 1, 1).status().code(), Code::kNotFound);
}

// Opened by another process between the read and the write: the edit is decided again on the
// stored (open) election and refused; so is the delete. Never an open election put back to draft.
TEST(AdminChangesTest, AConcurrentOpenWinsOverAnEditOrDelete) {
  InterferingCatalog catalog;
  ASSERT_TRUE(catalog.Create(Draft()).ok());
  catalog.other = [](Election& e) { ASSERT_TRUE(OpenElection(e, 10).ok()); };
  Election spec = Draft();
  spec.title = "Late edit";
  EXPECT_EQ(EditDraftEntry(catalog, spec, 5).status().code(), Code::kConflict);
  auto stored = **catalog.Get("e");
  EXPECT_EQ(stored.status, ElectionStatus::kOpen);
  EXPECT_EQ(stored.title, "Title");

  InterferingCatalog other;
  ASSERT_TRUE(other.Create(Draft()).ok());
  other.other = [](Election& e) { ASSERT_TRUE(OpenElection(e, 10).ok()); };
  EXPECT_EQ(DeleteDraftEntry(other, "e", 5).code(), Code::kConflict);
  EXPECT_EQ((*other.Get("e"))->status, ElectionStatus::kOpen);
}

// Another process's edit of the draft between the read and the delete: read again, still a
// draft, deleted.
TEST(AdminChangesTest, DeleteRetriesOnAConcurrentEdit) {
  InterferingCatalog catalog;
  ASSERT_TRUE(catalog.Create(Draft()).ok());
  catalog.other = [](Election& e) { e.title = "Edited elsewhere"; };
  EXPECT_TRUE(DeleteDraftEntry(catalog, "e", 5).ok());
  EXPECT_EQ(catalog.Get("e").status().code(), Code::kNotFound);
}

TEST(AdminChangesTest, ArchiveOnlyAFinalElectionOnce) {
  InterferingCatalog catalog;
  Election e = Draft();
  ASSERT_TRUE(catalog.Create(e).ok());
  EXPECT_EQ(ArchiveEntry(catalog, "e", 50, 5).status().code(), Code::kConflict);
  ASSERT_TRUE(OpenElection(e, 10).ok());
  ASSERT_TRUE(CloseElection(e, 20).ok());
  ASSERT_TRUE(FinalizeElection(e, 30).ok());
  e.catalog_version = 0;  // unchecked write of the test's own
  ASSERT_TRUE(catalog.inner.Update(e).ok());
  catalog.other = [](Election& x) { x.title = "Renamed by a recount's rewrite"; };
  auto archived = ArchiveEntry(catalog, "e", 50, 5);  // retried after the interference
  ASSERT_TRUE(archived.ok()) << archived.status().message();
  EXPECT_EQ(archived->archived_at_ms, 50);
  EXPECT_EQ((*catalog.Get("e"))->archived_at_ms, 50);
  EXPECT_EQ((*catalog.Get("e"))->title, "Renamed by a recount's rewrite");
  auto again = ArchiveEntry(catalog, "e", 90, 5);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->archived_at_ms, 50);
}

}  // namespace
}  // namespace urna
