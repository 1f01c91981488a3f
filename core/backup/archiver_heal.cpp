// The backup's self-healing and resume step (see index_sync.hpp): it runs
// before the parent snapshot and the files cache are consulted, so that
// their unchanged-file shortcut (all_blobs_present) sees only blobs whose
// packs exist, and blobs in packs an interrupted run left behind count as
// stored.
#include <fmt/format.h>

#include "core/backup/archiver_impl.hpp"
#include "core/common/error.hpp"
#include "core/repo/index_sync.hpp"

namespace offsite::core::archiver_detail {

namespace {

std::string and_more(std::size_t count) {
  return count > 1 ? fmt::format(" (and {} more)", count - 1) : "";
}

} // namespace

void Archiver::heal_index() {
  const IndexSync sync =
      sync_index_with_packs(m_repo, !m_options.dry_run, [&](std::uint64_t, std::uint64_t) {
        if (m_reporter.cancelled())
          throw Error(Code::interrupted, "backup interrupted before anything was stored",
                      "run the backup again");
      });
  m_result.packs_missing = sync.missing_packs.size();
  m_result.packs_recovered = sync.recovered_packs.size();
  if (!sync.missing_packs.empty())
    warn(Repository::pack_key(sync.missing_packs.front()),
         fmt::format("pack missing from the repository{}: the {} blob(s) indexed in it are stored "
                     "again where this backup still has them; run \"offsite check\" to see which "
                     "snapshots lost data",
                     and_more(sync.missing_packs.size()), sync.blobs_dropped),
         false);
  if (!sync.damaged_packs.empty())
    warn(Repository::pack_key(sync.damaged_packs.front()),
         fmt::format("pack in no index with a damaged header{}: left alone; its blobs are stored "
                     "again where needed (\"offsite repair index\" reports it)",
                     and_more(sync.damaged_packs.size())),
         false);
}

} // namespace offsite::core::archiver_detail
