// RocksLog: RocksDB's info log (the LOG file of the data dir), written with plain write(2).
// RocksDB's own file logger aborts the process when a log line follows a failed write (an
// assertion in its file writer, compiled into Debian's librocksdb), which a full disk causes
// within seconds; this one drops the lines it cannot write and carries on. Made by EmbeddedDb
// at each open; RocksDB's threads call it concurrently (each line is one write(2) call).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace rocksdb {
class Logger;
}

namespace urna::embedded {

// Opens <dir>/LOG for appending (mode 0600), after renaming a previous one to LOG.old.
Result<std::shared_ptr<rocksdb::Logger>> OpenRocksLog(const std::string& dir);

}  // namespace urna::embedded
