#include "core/restore/blob_prefetcher.hpp"

#include <algorithm>

namespace offsite::core {

BlobPrefetcher::BlobPrefetcher(Repository& repo, std::size_t threads, std::size_t max_bytes,
                               bool cache_pack_reads)
    : m_repo(repo), m_max_bytes(max_bytes) {
  // A local store reads a blob with one pread: blocks would only copy more.
  // A few blocks at least, or a small budget would evict each one at once.
  if (cache_pack_reads && m_repo.store().remote())
    m_repo.cache_pack_reads(std::max<std::size_t>(max_bytes, 4 * PackBlockCache::k_block_size));
  for (std::size_t i = 0; i < threads; ++i)
    m_threads.emplace_back([this] { work(); });
}

BlobPrefetcher::~BlobPrefetcher() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work.notify_all();
  for (auto& thread : m_threads)
    thread.join();
}

void BlobPrefetcher::expect(const std::vector<BlobId>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard lock(m_mutex);
    for (const auto& id : ids) {
      auto slot = std::make_shared<Slot>();
      slot->id = id;
      // Unknown blobs cost nothing here; take() reports them.
      slot->location = m_repo.index().find(id);
      // What it occupies once loaded: its plaintext (8 MiB of zeros seals
      // to a few hundred bytes), or its sealed bytes while they are read.
      slot->bytes = slot->location
                        ? std::max<std::size_t>(slot->location->length, slot->location->raw_length)
                        : 0;
      m_order.push_back(std::move(slot));
    }
  }
  m_work.notify_all();
}

std::size_t BlobPrefetcher::pending() const {
  std::lock_guard lock(m_mutex);
  return m_order.size();
}

void BlobPrefetcher::clear() {
  {
    std::lock_guard lock(m_mutex);
    for (const auto& slot : m_order)
      release_locked(*slot);
    m_order.clear();
    m_started_prefix = 0;
  }
  m_work.notify_all(); // budget freed
}

std::optional<std::size_t> BlobPrefetcher::startable_locked() {
  while (m_started_prefix < m_order.size() && m_order[m_started_prefix]->started)
    ++m_started_prefix;
  if (m_started_prefix == m_order.size()) return std::nullopt;
  const Slot& first = *m_order[m_started_prefix];
  if (m_loading > 0 && m_bytes + first.bytes > m_max_bytes) return std::nullopt;
  return m_started_prefix;
}

BlobPrefetcher::Run BlobPrefetcher::start_run_locked(std::size_t first) {
  Run run{m_order[first]};
  const auto& at = run.front()->location;
  if (at) {
    // The waiting blobs of the same pack a little further on, by offset.
    Run same_pack;
    const std::size_t end = std::min(m_order.size(), first + 1 + k_run_window);
    for (std::size_t i = first + 1; i < end; ++i) {
      const auto& slot = m_order[i];
      if (!slot->started && slot->location && slot->location->pack == at->pack)
        same_pack.push_back(slot);
    }
    std::stable_sort(same_pack.begin(), same_pack.end(), [](const auto& a, const auto& b) {
      return a->location->offset < b->location->offset;
    });
    // Grow the range around the first blob while the gaps stay small and
    // the range (held whole while its blobs are opened) fits the run bound
    // and what the budget has left.
    // (take() may start a run beyond the budget: then it is the blob alone.)
    const std::size_t left = m_loading == 0
                                 ? std::max(m_max_bytes, run.front()->bytes)
                                 : (m_bytes < m_max_bytes ? m_max_bytes - m_bytes : std::size_t{0});
    const std::uint64_t room = std::min<std::uint64_t>(k_max_run_bytes, left);
    // The blobs' own bytes count against the budget too; a blob announced
    // twice joins once (its repeat is loaded on its own, later).
    std::uint64_t held = run.front()->bytes;
    const auto joins = [&](const std::shared_ptr<Slot>& slot) {
      if (held + slot->bytes > left) return false;
      if (std::any_of(run.begin(), run.end(), [&](const auto& r) { return r->id == slot->id; }))
        return false;
      held += slot->bytes;
      return true;
    };
    std::uint64_t begin = at->offset;
    std::uint64_t end_at = std::uint64_t{at->offset} + at->length;
    const auto fits = [&](std::uint64_t b, std::uint64_t e) { return e - b <= room; };
    const auto split = std::lower_bound(
        same_pack.begin(), same_pack.end(), at->offset,
        [](const auto& slot, std::uint64_t offset) { return slot->location->offset < offset; });
    for (auto it = split; it != same_pack.end(); ++it) { // rightwards
      const auto& loc = *(*it)->location;
      const std::uint64_t e = std::max(end_at, std::uint64_t{loc.offset} + loc.length);
      if (loc.offset > end_at + k_max_run_gap || !fits(begin, e)) break;
      if (!joins(*it)) continue;
      end_at = e;
      run.push_back(*it);
    }
    for (auto it = split; it != same_pack.begin();) { // leftwards
      --it;
      const auto& loc = *(*it)->location;
      if (std::uint64_t{loc.offset} + loc.length + k_max_run_gap < begin ||
          !fits(loc.offset, end_at))
        break;
      if (!joins(*it)) continue;
      begin = std::min<std::uint64_t>(begin, loc.offset);
      run.push_back(*it);
    }
  }
  for (const auto& slot : run) {
    slot->started = true;
    ++m_loading;
    m_bytes += slot->bytes;
  }
  return run;
}

void BlobPrefetcher::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    std::optional<std::size_t> first;
    m_work.wait(lock, [&] { return m_stopping || (first = startable_locked()).has_value(); });
    if (m_stopping) return;
    Run run = start_run_locked(*first);
    // Pass the baton: the budget may allow another load at once.
    if (startable_locked()) m_work.notify_one();
    lock.unlock();
    auto loads = load(run);
    lock.lock();
    finish_locked(run, loads);
    m_ready.notify_one(); // there is one consumer
  }
}

std::vector<Repository::BlobLoad> BlobPrefetcher::load(const Run& run) {
  std::vector<Repository::BlobLoad> loads(run.size());
  if (run.size() == 1) {
    try {
      loads[0].data = m_repo.load_blob(BlobType::data, run[0]->id);
    } catch (...) {
      loads[0].error = std::current_exception();
    }
    return loads;
  }
  std::vector<BlobId> ids;
  ids.reserve(run.size());
  for (const auto& slot : run)
    ids.push_back(slot->id);
  try {
    loads = m_repo.load_blob_run(ids);
  } catch (...) { // it reports per blob; this is only bad_alloc and the like
    for (auto& load : loads)
      load.error = std::current_exception();
  }
  return loads;
}

void BlobPrefetcher::finish_locked(const Run& run, std::vector<Repository::BlobLoad>& loads) {
  for (std::size_t i = 0; i < run.size(); ++i) {
    Slot& slot = *run[i];
    slot.ready = true;
    if (slot.dropped) continue; // passed over meanwhile: nobody takes it
    slot.data = std::move(loads[i].data);
    slot.error = loads[i].error;
  }
}

void BlobPrefetcher::release_locked(Slot& slot) {
  if (slot.started && !slot.dropped) {
    --m_loading;
    m_bytes -= slot.bytes;
  }
  slot.dropped = true;
  slot.data.reset();
}

Bytes BlobPrefetcher::take(const BlobId& id) {
  bool announced = false;
  std::optional<Bytes> data;
  std::exception_ptr error;
  {
    std::unique_lock lock(m_mutex);
    const auto it = std::find_if(m_order.begin(), m_order.end(),
                                 [&](const std::shared_ptr<Slot>& s) { return s->id == id; });
    if (it != m_order.end()) {
      announced = true;
      const auto position = static_cast<std::size_t>(it - m_order.begin());
      const std::shared_ptr<Slot> slot = *it;
      if (!slot->started) {
        // The workers have not reached it (busy, or not yet scheduled): load
        // it here, with the run it starts, whose other blobs the workers
        // then skip. Only this thread removes slots, so `position` holds.
        Run run = start_run_locked(position);
        lock.unlock();
        auto loads = load(run);
        lock.lock();
        finish_locked(run, loads);
      }
      m_ready.wait(lock, [&] { return slot->ready; });
      data = std::move(slot->data);
      error = slot->error;
      // It, and everything announced before it (skipped by the caller), go.
      for (std::size_t i = 0; i <= position; ++i) {
        release_locked(*m_order.front());
        m_order.pop_front();
      }
      m_started_prefix -= std::min(m_started_prefix, position + 1);
    }
  }
  m_work.notify_one(); // budget freed: a worker may start the next one
  if (!announced) return m_repo.load_blob(BlobType::data, id);
  if (error) std::rethrow_exception(error);
  return std::move(*data);
}

} // namespace offsite::core
