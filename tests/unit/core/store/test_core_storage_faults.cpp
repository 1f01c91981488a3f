#include <doctest/doctest.h>

#include <cerrno>

#include "core/store/storage_faults.hpp"

using offsite::core::StorageFaults;
using offsite::core::StorageOp;

TEST_SUITE_BEGIN("core::StorageFaults");

TEST_CASE("given fsync:3, when fsync is called five times, then only the third fails with EIO") {
  StorageFaults faults("fsync:3");
  CHECK(faults.inject(StorageOp::fsync) == 0);
  CHECK(faults.inject(StorageOp::fsync) == 0);
  CHECK(faults.inject(StorageOp::fsync) == EIO);
  CHECK(faults.inject(StorageOp::fsync) == 0);
  CHECK(faults.inject(StorageOp::fsync) == 0);
  CHECK(faults.inject(StorageOp::write) == 0);
}

TEST_CASE("given a rule with + and ENOSPC, then the Nth and every later call fail with ENOSPC") {
  StorageFaults faults("write:2+:ENOSPC");
  CHECK(faults.inject(StorageOp::write) == 0);
  CHECK(faults.inject(StorageOp::write) == ENOSPC);
  CHECK(faults.inject(StorageOp::write) == ENOSPC);
}

TEST_CASE("given several rules, then each operation counts its own calls") {
  StorageFaults faults("open:1,dirsync:2,rename:1,mkdir:1");
  CHECK(faults.inject(StorageOp::open) == EIO);
  CHECK(faults.inject(StorageOp::dirsync) == 0);
  CHECK(faults.inject(StorageOp::rename) == EIO);
  CHECK(faults.inject(StorageOp::dirsync) == EIO);
  CHECK(faults.inject(StorageOp::mkdir) == EIO);
  CHECK(faults.inject(StorageOp::open) == 0);
}

TEST_CASE("given no rules or malformed ones, then nothing is ever injected") {
  for (const char* spec : {"", "fsync", "fsync:0", "fsync:x", "fsync:1:EPERM", "chmod:1", ",,"}) {
    CAPTURE(spec);
    StorageFaults faults(spec);
    for (const auto op : {StorageOp::open, StorageOp::write, StorageOp::fsync, StorageOp::dirsync,
                          StorageOp::rename, StorageOp::mkdir})
      CHECK(faults.inject(op) == 0);
  }
}

TEST_SUITE_END();
