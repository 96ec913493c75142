// Catalog port: the elections. Embedded: RocksDB. Distributed: DynamoDB, cached per process.
// Thread-safe. Get and List are served from memory and are cheap on hot paths.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/election.h"
#include "core/status.h"

namespace urna {

class Catalog {
 public:
  virtual ~Catalog() = default;
  // kConflict if an election with this id exists.
  virtual Status Create(const Election& election) = 0;
  // Replaces an existing election (status changes). kNotFound if absent. A catalog shared by
  // several processes (DynamoDB) writes only if the stored entry is still the version the
  // caller read (`election.catalog_version`, as Get/List returned it), else kConflict: the
  // caller reads again and decides on the stored state. The embedded catalog (one process,
  // its writes serialized by the lifecycle) and the memory fake with catalog_version 0 do not
  // check it.
  virtual Status Update(const Election& election) = 0;
  // admin: removes the entry of a draft (the lifecycle checks it is one, under its transitions
  // lock); its id may be created again. As Update, a shared catalog (DynamoDB) removes only the
  // version the caller read, else kConflict. kNotFound if absent. The default is for test
  // catalogs that never delete.
  virtual Status Delete(const Election& election) {
    return Status(Code::kInternal, "this catalog cannot delete election " + election.id);
  }
  // kNotFound if absent.
  virtual Result<std::shared_ptr<const Election>> Get(std::string_view id) = 0;
  virtual std::vector<std::shared_ptr<const Election>> List() = 0;
  // The election as stored now, for a reader whose cached view may lag another process's write:
  // the processor asks when a vote in the log names an election its Get does not know or sees
  // as a draft (ingest admitted the vote, so it was open somewhere). Blocking. The default is
  // Get: an embedded catalog is never behind.
  virtual Result<std::shared_ptr<const Election>> GetFresh(std::string_view id) { return Get(id); }
};

}  // namespace urna
