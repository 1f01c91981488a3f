// Measuring the machine's limits (limits.hpp). Every stage works the way
// offsite does, one call per chunk with the context reused per thread, so
// per-chunk overheads (small files!) count as they do in a backup.
#include "bench/limits.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "bench/fs_util.hpp"
#include "bench/prng.hpp"

namespace offsite::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Runs work(thread, deadline) on `threads` threads that start together;
// returns the bytes they report and the wall time from start to the last.
Throughput run_parallel(unsigned threads, double seconds,
                        const std::function<std::uint64_t(unsigned, Clock::time_point)>& work) {
  std::latch ready(static_cast<std::ptrdiff_t>(threads) + 1);
  std::atomic<std::uint64_t> total{0};
  Clock::time_point start;
  std::vector<std::thread> pool;
  std::atomic<bool> go{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.arrive_and_wait();
      while (!go.load())
        std::this_thread::yield();
      const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
      // An exception must not leave its thread (std::terminate): keep the
      // first one and rethrow it on the caller's thread.
      try {
        total += work(t, deadline);
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  }
  ready.arrive_and_wait();
  start = Clock::now();
  go.store(true);
  for (auto& thread : pool)
    thread.join();
  if (error) std::rethrow_exception(error);
  return {total.load(), std::chrono::duration<double>(Clock::now() - start).count()};
}

std::uint64_t read_file(const std::string& path, std::vector<char>& buffer) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot open", path);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      ::close(fd);
      fail_errno("cannot read", path);
    }
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return total;
}

// Chunk-at-a-time stages: each thread walks the sample from its own start.
Throughput
measure_chunks(const Sample& sample, unsigned threads, double seconds,
               const std::function<std::function<void(std::span<const char>)>()>& make_worker) {
  if (sample.chunks.empty()) return {};
  return run_parallel(threads, seconds, [&](unsigned t, Clock::time_point deadline) {
    auto process = make_worker();
    std::uint64_t bytes = 0;
    std::size_t i = sample.chunks.size() * t / threads;
    while (Clock::now() < deadline) {
      const auto chunk = sample.chunks[i++ % sample.chunks.size()];
      process(chunk);
      bytes += chunk.size();
    }
    return bytes;
  });
}

std::vector<unsigned char> random_key(std::uint64_t seed) {
  std::vector<unsigned char> key(32);
  Xoshiro256 rng(seed);
  rng.fill(std::span(reinterpret_cast<char*>(key.data()), key.size()));
  return key;
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

} // namespace

TreeFiles list_files(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::uint64_t>> found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_symlink() || !entry.is_regular_file()) continue;
    found.emplace_back(entry.path().string(), entry.file_size());
  }
  std::sort(found.begin(), found.end());
  TreeFiles files;
  for (auto& [path, size] : found) {
    files.paths.push_back(std::move(path));
    files.sizes.push_back(size);
    files.bytes += size;
  }
  return files;
}

Sample load_sample(const TreeFiles& files, std::uint64_t max_bytes, std::size_t chunk_size) {
  // Every chunk of the tree (a small file, or a piece of a big one) is taken
  // with the same probability, so the sample has the tree's mix of text,
  // binaries and small files even when a few 64 MiB files could tip it.
  const double share = files.bytes <= max_bytes
                           ? 1.0
                           : static_cast<double>(max_bytes) / static_cast<double>(files.bytes);
  Xoshiro256 rng(7);
  Sample sample;
  sample.bytes.reserve(static_cast<std::size_t>(static_cast<double>(files.bytes) * share * 1.05));
  std::vector<std::pair<std::size_t, std::size_t>> extents; // offsets stay valid, spans may not
  for (std::size_t i = 0; i < files.paths.size(); ++i) {
    const std::string& path = files.paths[i];
    int fd = -1;
    for (std::uint64_t at = 0; at < files.sizes[i]; at += chunk_size) {
      if (share < 1.0 && !rng.chance(share)) continue;
      const auto length =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, files.sizes[i] - at));
      if (fd < 0 && (fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
        fail_errno("cannot open", path);
      }
      const std::size_t start = sample.bytes.size();
      sample.bytes.resize(start + length);
      read_exact(fd, std::span(sample.bytes.data() + start, length), at, path);
      extents.emplace_back(start, length);
    }
    if (fd >= 0) ::close(fd);
  }
  for (const auto& [at, length] : extents)
    sample.chunks.emplace_back(sample.bytes.data() + at, length);
  return sample;
}

Throughput measure_read(const TreeFiles& files, unsigned threads, double seconds) {
  if (files.paths.empty()) return {};
  std::vector<char> warm(1 << 20);
  for (const auto& path : files.paths)
    read_file(path, warm);
  std::atomic<std::size_t> next{0};
  const std::size_t n = files.paths.size();
  return run_parallel(threads, seconds, [&](unsigned, Clock::time_point deadline) {
    std::vector<char> buffer(1 << 20);
    std::uint64_t bytes = 0;
    // Whole passes until the deadline; at least one, so a big tree is
    // measured over all of its files, not just the first ones.
    for (std::size_t i; (i = next++) < n || Clock::now() < deadline;) {
      bytes += read_file(files.paths[i % n], buffer);
    }
    return bytes;
  });
}

Throughput measure_hmac(const Sample& sample, unsigned threads, double seconds) {
  const auto key = random_key(1);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  check(mac != nullptr, "EVP_MAC_fetch(HMAC)");
  const Throughput result = measure_chunks(sample, threads, seconds, [&] {
    std::shared_ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac), EVP_MAC_CTX_free);
    check(ctx != nullptr, "EVP_MAC_CTX_new");
    return [ctx, &key](std::span<const char> chunk) {
      char digest_name[] = "SHA256";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
          OSSL_PARAM_construct_end()};
      unsigned char out[32];
      std::size_t length = 0;
      check(EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1, "EVP_MAC_init");
      check(EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(chunk.data()),
                           chunk.size()) == 1,
            "EVP_MAC_update");
      check(EVP_MAC_final(ctx.get(), out, &length, sizeof out) == 1, "EVP_MAC_final");
    };
  });
  EVP_MAC_free(mac);
  return result;
}

Throughput measure_zstd(const Sample& sample, unsigned threads, double seconds, int level,
                        double* ratio) {
  std::atomic<std::uint64_t> in{0}, out{0};
  const Throughput result = measure_chunks(sample, threads, seconds, [&] {
    std::shared_ptr<ZSTD_CCtx> ctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level);
    auto buffer = std::make_shared<std::vector<char>>();
    return [ctx, buffer, &in, &out](std::span<const char> chunk) {
      buffer->resize(ZSTD_compressBound(chunk.size()));
      const std::size_t n =
          ZSTD_compress2(ctx.get(), buffer->data(), buffer->size(), chunk.data(), chunk.size());
      if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
      // Like offsite: the smaller of the compressed and the raw form.
      in += chunk.size();
      out += std::min(n, chunk.size());
    };
  });
  if (ratio != nullptr)
    *ratio = out > 0 ? static_cast<double>(in.load()) / static_cast<double>(out.load()) : 0;
  return result;
}

Throughput measure_aead(const Sample& sample, unsigned threads, double seconds) {
  const auto key = random_key(2);
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  check(cipher != nullptr, "EVP_CIPHER_fetch(AES-256-GCM)");
  const Throughput result = measure_chunks(sample, threads, seconds, [&] {
    std::shared_ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    check(ctx != nullptr, "EVP_CIPHER_CTX_new");
    auto buffer = std::make_shared<std::vector<unsigned char>>();
    auto counter = std::make_shared<std::uint64_t>(0);
    return [ctx, buffer, counter, cipher, &key](std::span<const char> chunk) {
      // A fresh nonce per chunk, as offsite draws one per blob.
      unsigned char nonce[12] = {};
      const std::uint64_t c = ++*counter;
      std::memcpy(nonce, &c, sizeof c);
      buffer->resize(chunk.size() + 16);
      int n = 0, tail = 0;
      check(EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nonce, nullptr) == 1,
            "EVP_EncryptInit_ex2");
      check(EVP_EncryptUpdate(ctx.get(), buffer->data(), &n,
                              reinterpret_cast<const unsigned char*>(chunk.data()),
                              static_cast<int>(chunk.size())) == 1,
            "EVP_EncryptUpdate");
      check(EVP_EncryptFinal_ex(ctx.get(), buffer->data() + n, &tail) == 1, "EVP_EncryptFinal_ex");
      check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, buffer->data() + n + tail) ==
                1,
            "EVP_CTRL_GCM_GET_TAG");
    };
  });
  EVP_CIPHER_free(cipher);
  return result;
}

} // namespace offsite::bench
