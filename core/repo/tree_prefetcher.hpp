#pragma once
// Loads trees ahead of a depth-first walk of a snapshot on worker threads.
//
// Why: a walk needs trees one after the other, and loading one is a round
// trip to the server plus its decryption and decoding. A backup compares
// each directory with its version in the parent snapshot: on an S3-backed
// data centre a 5% changed backup spent most of its time waiting for ~2,400
// tree reads in a row. A restore's pre-scan loads every tree it will enter
// before anything is written, so it was a phase of one busy core. With a
// few loads in flight ahead of the walk, the round trips overlap and the
// cores share the decoding.
//
// Contract: the announced trees form one sequence in the order the walk
// reaches them (depth-first, by name). When the walk takes a tree, the
// subdirectories it will enter are announced with expect_next(): they come
// next, ahead of everything announced before, as the walk goes down before
// it goes on. take() may skip announced trees (a directory that is gone, or
// whose files all hit the files cache): those before the taken one are
// dropped. A tree that was never announced is loaded on the caller's thread.
//
// Bounds: at most `ahead` trees are loaded and not yet taken, and their
// encoded sizes stay within max_bytes (one is always allowed), so a
// snapshot of any size costs bounded memory.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/format/tree.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

class TreePrefetcher {
public:
  explicit TreePrefetcher(Repository& repo, std::size_t threads = 4, std::size_t ahead = 32,
                          std::size_t max_bytes = 32u << 20);
  ~TreePrefetcher();
  TreePrefetcher(const TreePrefetcher&) = delete;
  TreePrefetcher& operator=(const TreePrefetcher&) = delete;

  // Announces trees the walk reaches next, in that order, ahead of the rest.
  void expect_next(const std::vector<BlobId>& ids);

  // Tree `id`, decoded; rethrows the Error its load or decoding raised.
  Tree take(const BlobId& id);

private:
  struct Slot {
    BlobId id{};
    bool started = false;
    bool ready = false;
    bool dropped = false;  // skipped by the walk while its load ran
    std::size_t bytes = 0; // sealed size, as indexed
    std::optional<Tree> tree;
    std::exception_ptr error;
  };

  void work();
  // The first slot not yet started, if loading it keeps within the bounds.
  std::shared_ptr<Slot> startable_locked() const;
  Tree load(const BlobId& id);
  void drop_locked(Slot& slot);

  Repository& m_repo;
  std::size_t m_ahead;
  std::size_t m_max_bytes;
  std::mutex m_mutex;
  std::condition_variable m_work;            // workers: something may be startable
  std::condition_variable m_ready;           // the walk: a slot became ready
  std::deque<std::shared_ptr<Slot>> m_order; // announced, not taken, in walk order
  std::size_t m_loaded = 0;                  // slots of m_order started or ready
  std::size_t m_bytes = 0;                   // sealed bytes of those slots
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace offsite::core
