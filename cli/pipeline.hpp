#pragma once
// The row work of `hashgate hash-file` and the pipeline that spreads it over threads: the main
// thread parses the CSV into chunks of rows, worker threads normalize, hash, fingerprint and
// CSV-encode each chunk, and the main thread takes the chunks back in input order to write them
// and to print what they report. Only the main thread prints or writes output.

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "csv.hpp"
#include "hashgate/hashgate.hpp"

namespace hashgate::cli {

/// Rows per chunk, and the field bytes after which a chunk is closed early (bounds memory).
inline constexpr std::size_t k_chunk_rows = 4096;
inline constexpr std::size_t k_chunk_bytes = 1 << 20;

/// What hash-file does with every row, fixed once the header has been read.
struct RowPlan {
  /// One hashed column: its SDK field and its index in the input row.
  struct Hashed {
    Field field{};
    std::size_t index = 0;
  };
  const Profile* profile = nullptr;  ///< the --profile
  Options options;                   ///< region, algorithm, encoding, HMAC key (borrowed)
  std::vector<Hashed> hashed;        ///< hashed columns in --columns order
  /// Per input column: 0 copied through, 1 dropped, 2 + k the output of hashed column k.
  std::vector<std::size_t> kind;
  bool crlf = false;  ///< end output records with CRLF
  char delimiter = ',';
};

/// True for SDK errors that mean the request itself is wrong (the same for every value, e.g. an
/// algorithm the profile does not allow): a usage error, not bad data.
bool is_usage_error(Errc e) noexcept;

/// Counters of one hashed column.
struct ColumnCounts {
  std::size_t hashed = 0, invalid = 0, empty = 0;
};

/// A value that could not be hashed: row (0-based in its chunk), hashed column k, and why.
struct RowEvent {
  std::uint32_t row = 0;
  std::uint32_t column = 0;
  Errc error = Errc::ok;
};

/// A batch of consecutive input rows and, once processed, everything they produce.
struct Chunk {
  // Filled by the main thread (parse):
  CsvRecord fields;                ///< the fields of every row back to back (raw personal data)
  std::vector<std::size_t> lines;  ///< input line where each row starts; size() = row count
  // Filled by process_chunk():
  std::string out;                    ///< the CSV-encoded output rows
  std::vector<std::size_t> row_ends;  ///< offset in `out` where each row's output ends
  std::vector<std::uint64_t> keys;    ///< fingerprint of each row that has at least one hash
  std::vector<RowEvent> events;       ///< invalid values, in (row, column) order
  std::vector<ColumnCounts> counts;   ///< per hashed column
  bool stopped = false;               ///< the last event is a usage error: later rows not done
  bool done = false;                  ///< processed (guarded by the pipeline's mutex)

  /// Number of rows in the chunk.
  std::size_t rows() const noexcept { return lines.size(); }
  /// Zeroes every byte that held input or output and empties the chunk for reuse.
  void wipe() noexcept;
  ~Chunk() { wipe(); }
};

/// Appends `bytes` to `s`; if `s` must grow, its old buffer is zeroed before it is freed.
void append_zeroed(std::string& s, std::string_view bytes);

/// Normalizes, hashes, fingerprints and CSV-encodes the rows of `c` as `plan` says. Each row
/// holds exactly plan.kind.size() fields. Pure: touches nothing but `c`.
void process_chunk(const RowPlan& plan, Chunk& c);

/// Counts keys equal to an earlier key (duplicate rows by fingerprint). Keys are spread over 256
/// buckets by their top byte as they arrive; count() then checks one bucket at a time with a
/// hash table small enough to stay in cache (no random access over all keys).
class DuplicateCounter {
 public:
  /// Adds `keys` (any 64-bit values).
  void add(std::span<const std::uint64_t> keys);
  /// Number of keys added so far that equal an earlier one.
  std::size_t count() const;

 private:
  std::array<std::vector<std::uint64_t>, 256> m_buckets;
};

/// A fixed pool of chunks and `workers` threads running process_chunk() on them. Chunks are
/// handed back in the order they were submitted. With 0 workers, submit() processes inline.
/// All member functions are called by one (the main) thread.
class ChunkPipeline {
 public:
  /// Starts up to `workers` threads (fewer if the system refuses) over `chunks` chunks.
  ChunkPipeline(const RowPlan& plan, std::size_t workers, std::size_t chunks);
  /// Stops and joins the workers (unfinished chunks are dropped), then wipes every chunk.
  ~ChunkPipeline();
  ChunkPipeline(const ChunkPipeline&) = delete;
  ChunkPipeline& operator=(const ChunkPipeline&) = delete;

  /// A free (empty) chunk to fill, or nullptr if all are in flight.
  Chunk* try_acquire();
  /// Hands a filled chunk to the workers.
  void submit(Chunk* c);
  /// The oldest submitted chunk not yet taken if it is processed (with `wait`, blocks until it
  /// is); nullptr if there is none (or, without `wait`, it is not processed yet).
  Chunk* take_oldest(bool wait);
  /// Wipes a chunk taken with take_oldest() and returns it to the pool.
  void release(Chunk* c);
  /// Number of worker threads actually running.
  std::size_t workers() const noexcept { return m_threads.size(); }

 private:
  void worker_loop();

  const RowPlan& m_plan;
  std::vector<std::unique_ptr<Chunk>> m_chunks;
  std::vector<Chunk*> m_free;  // main thread only
  std::deque<Chunk*> m_order;  // submitted and not yet taken, oldest first; main thread only
  std::mutex m_mutex;
  std::condition_variable m_work_cv;  // workers wait for m_queue or m_stop
  std::condition_variable m_done_cv;  // the main thread waits for a chunk's `done`
  std::deque<Chunk*> m_queue;         // submitted, not yet picked up (guarded)
  bool m_stop = false;                // (guarded)
  std::vector<std::thread> m_threads;
};

}  // namespace hashgate::cli
