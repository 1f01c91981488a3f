// The backup's self-healing and resume step (see index_sync.hpp): it runs
// before the parent snapshot and the files cache are consulted, so that
// their unchanged-file shortcut (all_blobs_present) sees only blobs whose
// packs exist, and blobs in packs an interrupted run left behind count as
// stored.
#include "core/backup/archiver_impl.hpp"
#include "core/common/error.hpp"
#include "core/repo/index_sync.hpp"

namespace offsite::core::archiver_detail {

void Archiver::heal_index() {
  const IndexSync sync =
      sync_index_with_packs(m_repo, !m_options.dry_run, [&](std::uint64_t, std::uint64_t) {
        if (m_reporter.cancelled())
          throw Error(Code::interrupted, "backup interrupted before anything was stored",
                      "run the backup again");
      });
  m_result.packs_missing = sync.missing_packs.size();
  m_result.packs_recovered = sync.recovered_packs.size();
  for (const auto& w : index_sync_warnings(sync))
    warn(w.key, w.message, false);
}

} // namespace offsite::core::archiver_detail
