// bench: checks every selected variant against the reference, times it with
// Google Benchmark, prints a table and appends one CSV row per (shape,
// direction, threads, variant). The only C++ in kernbench: the Google
// Benchmark glue. Everything else (CLI, shapes, checking, CSV) is C in bench/.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <xmmintrin.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "case.h"
#include "cli.h"
#include "compare.h"
#include "csv.h"
#include "npy.h"
#include "probe.h"
#include "quiesce.h"
#include "shapes.h"
#include "sysinfo.h"
#include "topology.h"
}

namespace {

// Collects the per-repetition wall time of one benchmark, ignoring Google
// Benchmark's own aggregates (we compute median, min, max and CV ourselves).
// Every run, aggregates included, also goes to `json` when --json is given.
class CollectingReporter : public benchmark::BenchmarkReporter {
  public:
    explicit CollectingReporter(benchmark::BenchmarkReporter *json) : json_(json) {}
    std::vector<double> seconds;
    std::string error;
    bool ReportContext(const Context &) override { return true; }
    void ReportRuns(const std::vector<Run> &runs) override {
        if (json_) json_->ReportRuns(runs);
        for (const Run &run : runs) {
            if (run.error_occurred)
                error = run.error_message;
            else if (run.run_type == Run::RT_Iteration && run.iterations > 0)
                seconds.push_back(run.real_accumulated_time / static_cast<double>(run.iterations));
        }
    }

  private:
    benchmark::BenchmarkReporter *json_;
};

// --json FILE: Google Benchmark's own JSON reporter, fed every timed run, so
// its tools/compare.py reads our runs. Benchmark names are
// kernel/direction/shape/variant/threads:T/bind:B/cache:C. The text goes to a
// temporary file beside FILE and is renamed over it when bench ends (also on
// an error after rows were timed), so FILE is never half written.
class JsonOutput {
  public:
    ~JsonOutput() { finish(nullptr, 0); }
    benchmark::BenchmarkReporter *reporter() { return open_ ? &reporter_ : nullptr; }

    bool open(const std::string &path, char *why, size_t why_len) {
        path_ = path;
        temporary_ = path + ".tmp." + std::to_string(getpid());
        file_.open(temporary_, std::ios::out | std::ios::trunc);
        if (!file_) {
            snprintf(why, why_len, "--json: cannot write '%s': %s", temporary_.c_str(),
                     strerror(errno));
            return false;
        }
        reporter_.SetOutputStream(&file_);
        reporter_.SetErrorStream(&file_);
        reporter_.ReportContext(benchmark::BenchmarkReporter::Context());
        open_ = true;
        return true;
    }

    // Closes the JSON and renames it into place; false (and `why`) on failure.
    bool finish(char *why, size_t why_len) {
        if (!open_) return true;
        open_ = false;
        reporter_.Finalize();
        file_.close();
        if (file_.fail() || rename(temporary_.c_str(), path_.c_str()) != 0) {
            if (why) snprintf(why, why_len, "--json: cannot write '%s': %s", path_.c_str(),
                              strerror(errno));
            remove(temporary_.c_str());
            return false;
        }
        return true;
    }

  private:
    benchmark::JSONReporter reporter_;
    std::ofstream file_;
    std::string path_, temporary_;
    bool open_ = false;
};

// Progress on stderr (unless --quiet): done/total rows, the current row and an
// estimate of the time left from the mean time of the rows so far. On a
// terminal one line is rewritten in place and cleared before stdout prints;
// elsewhere (a log file) each row gets its own line.
class Progress {
  public:
    Progress(size_t total, bool quiet)
        : total_(total), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0),
          start_(std::chrono::steady_clock::now()) {}

    void row(const std::string &what) {
        if (quiet_) return;
        const double elapsed = seconds_since_start();
        std::string left = "estimating time left";
        if (done_ > 0) left = "about " + duration(elapsed / done_ * (total_ - done_)) + " left";
        fprintf(stderr, "%s[%zu/%zu] %s; %s%s", tty_ ? "\r\033[K" : "", done_ + 1, total_,
                what.c_str(), left.c_str(), tty_ ? "" : "\n");
        fflush(stderr);
        done_++;
    }

    // Before stdout prints: a terminal's progress line would run into it.
    void clear() {
        if (quiet_ || !tty_) return;
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }

  private:
    double seconds_since_start() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }
    static std::string duration(double seconds) {
        char buf[32];
        const long s = std::lround(seconds);
        if (s >= 3600) snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
        else if (s >= 60) snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
        else snprintf(buf, sizeof buf, "%lds", s);
        return buf;
    }
    size_t total_, done_ = 0;
    bool quiet_, tty_;
    std::chrono::steady_clock::time_point start_;
};

struct Row {
    const kb_shape *shape;
    kb_direction direction;
    const char *variant;
    std::string variant_isa;
    int threads = 0;
    kb_bind bind = KB_BIND_NONE;
    int cold = 0; // --cache cold
    std::string pus; // the PU each thread ran on, "0;1" (OS indices)
    int reps = 0;
    bool timed = false;
    double median_ms = 0, min_ms = 0, max_ms = 0, cv_pct = 0;
    std::string deterministic; // --determinism: "yes", "no", "no (expected: ...)"
    std::string samples_ms; // every repetition's time, ';'-separated (for --compare's U test)
    double gflops = 0, gbps = 0, prepare_ms = 0;
    bool checked = false;
    kb_check_result check{};
    std::string verdict; // PASS, FAIL, SKIP, ERROR, UNCHECKED
    std::string note;
    double ratio_to_onednn = NAN, ratio_to_openblas = NAN;
    // Roofline (probe.h): the best FMA peak of the CPU at this thread count,
    // the triad bandwidth, flops per minimum byte, min(peak, AI x bandwidth)
    // and this row's share of it. Memory-only kernels (no flops): the share
    // of the triad bandwidth. NaN when not probed.
    double peak_gflops = NAN, stream_gbps = NAN, intensity = NAN, roofline_gflops = NAN,
           pct_of_roofline = NAN;
};

struct Stats {
    double median, min, max, cv_pct;
    std::vector<double> samples; // seconds per iteration, one per repetition, in run order
};

Stats summarize(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    Stats s{};
    s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    s.min = v.front();
    s.max = v.back();
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(n);
    double var = 0;
    for (double x : v) var += (x - mean) * (x - mean);
    s.cv_pct = n > 1 ? 100.0 * std::sqrt(var / static_cast<double>(n - 1)) / mean : 0.0;
    return s;
}

std::string format_error(double value) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.3g", value);
    return buf;
}

// Waits (at most a second) for the process's other threads to go idle
// (quiesce.h); warns once on stderr when they do not.
bool wait_for_quiet(bool quiet) {
    static bool warned = false;
    if (kb_wait_for_quiet(1.0)) return true;
    if (!warned && !quiet)
        fprintf(stderr, "bench: warning: other threads of this process stayed busy for 1 s "
                        "(OMP_WAIT_POLICY=active?); timing anyway\n");
    warned = true;
    return false;
}

// Times `prepared` on `c` with Google Benchmark: real time, `reps` repetitions
// of at least `min_time` seconds each. Returns false with `error` set when the
// variant reported an error.
// Cold cache (`copies` not empty): iteration i runs on copy i mod n, so its
// data was last touched n - 1 iterations ago and more than twice the
// last-level cache of other tensors has streamed through since.
// `name` names the run in --json's output; `flops` and `bytes` (per run) give
// its FLOP/s counter and bytes_per_second there.
bool time_variant(kb_prepared *prepared, const kb_case *c, const std::vector<kb_case> &copies,
                  const kb_options &o, const std::string &name, double flops, double bytes,
                  benchmark::BenchmarkReporter *json, Stats *stats, std::string *error) {
    CollectingReporter reporter(json);
    benchmark::RegisterBenchmark(name.c_str(), [prepared, c, &copies, flops,
                                                bytes](benchmark::State &state) {
        size_t next = 0;
        for (auto _ : state) {
            const kb_case *on = c;
            if (!copies.empty()) {
                on = &copies[next];
                next = next + 1 == copies.size() ? 0 : next + 1;
            }
            kb_status status = kb_prepared_run(prepared, on);
            if (status != KB_OK) {
                state.SkipWithError(kb_status_name(status));
                break;
            }
        }
        state.SetBytesProcessed(static_cast<int64_t>(bytes * static_cast<double>(state.iterations())));
        if (flops > 0)
            state.counters["FLOP/s"] =
                benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
    })
        ->UseRealTime()
        ->Repetitions(o.reps)
        ->MinTime(o.min_time_s)
        ->Unit(benchmark::kMillisecond);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::ClearRegisteredBenchmarks();
    if (!reporter.error.empty() || reporter.seconds.empty()) {
        *error = reporter.error.empty() ? "no timing collected" : reporter.error;
        return false;
    }
    *stats = summarize(reporter.seconds);
    stats->samples = reporter.seconds;
    return true;
}

std::string csv_line(const kb_sysinfo &info, const kb_options &o, const Row &r) {
    char buf[2048];
    auto num = [](double v, const char *fmt) {
        if (std::isnan(v)) return std::string();
        char b[48];
        snprintf(b, sizeof b, fmt, v);
        return std::string(b);
    };
    const bool t = r.timed, k = r.checked;
    snprintf(buf, sizeof buf,
             "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%"
             "s,%s,%s,%s,%s,%s,%s\n",
             info.run_id, info.timestamp, info.git_commit, info.host, info.machine_id,
             info.cpu_model,
             kb_isa_name(kb_cpu_isa()), kb_kernel_name(o.kernel), kb_direction_name(r.direction),
             r.variant, r.variant_isa.c_str(), r.shape->descriptor, r.shape->label, r.threads,
             t ? std::to_string(r.reps).c_str() : "", t ? num(r.median_ms, "%.6g").c_str() : "",
             t ? num(r.min_ms, "%.6g").c_str() : "", t ? num(r.max_ms, "%.6g").c_str() : "",
             t ? num(r.cv_pct, "%.3g").c_str() : "",
             t && r.gflops > 0 ? num(r.gflops, "%.5g").c_str() : "",
             t ? num(r.gbps, "%.5g").c_str() : "",
             (t || k) ? num(r.prepare_ms, "%.4g").c_str() : "", k ? "real" : "",
             k ? format_error(r.check.max_abs_err).c_str() : "",
             k ? format_error(r.check.max_rel_err).c_str() : "", r.verdict.c_str(),
             num(r.ratio_to_onednn, "%.3f").c_str(), num(r.ratio_to_openblas, "%.3f").c_str(),
             num(r.peak_gflops, "%.5g").c_str(), num(r.stream_gbps, "%.4g").c_str(),
             num(r.intensity, "%.4g").c_str(), num(r.roofline_gflops, "%.5g").c_str(),
             t ? num(r.pct_of_roofline, "%.1f").c_str() : "", kb_bind_name(r.bind),
             r.cold ? "cold" : "warm", r.pus.c_str(),
             "on", r.deterministic.c_str(), r.samples_ms.c_str(), r.note.c_str());
    return buf;
}

// Pins each of `threads` OpenMP threads to its PU of `plan` (-1: unbinds it to
// the whole machine), sets FTZ/DAZ in each (bench runs kernels with
// denormals flushed, recorded in the ftz_daz column), and reads back the PU
// each thread runs on. libgomp keeps this thread pool for later parallel
// regions of the same size, so the kernels (and oneDNN, same runtime) run
// where planned. Returns the PUs read back; `mismatch` when one differs from
// the plan. OpenBLAS runs its own pthreads: they are not placed.
std::string place_threads(hwloc_topology_t topology, const std::vector<int> &plan, int threads,
                          bool *mismatch) {
    std::vector<int> ran(threads, -1);
    bool bad = false;
#pragma omp parallel num_threads(threads) reduction(|| : bad)
    {
        const int t = omp_get_thread_num();
        _mm_setcsr(_mm_getcsr() | 0x8040); // FTZ (bit 15) and DAZ (bit 6)
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (plan[t] >= 0)
            hwloc_bitmap_only(set, static_cast<unsigned>(plan[t]));
        else
            hwloc_bitmap_copy(set, hwloc_topology_get_complete_cpuset(topology));
        hwloc_set_cpubind(topology, set, HWLOC_CPUBIND_THREAD);
        if (hwloc_get_last_cpu_location(topology, set, HWLOC_CPUBIND_THREAD) == 0)
            ran[t] = hwloc_bitmap_first(set);
        if (plan[t] >= 0 && ran[t] != plan[t]) bad = true;
        hwloc_bitmap_free(set);
    }
    *mismatch = bad;
    char buf[1024];
    kb_pu_list_format(ran.data(), threads, buf, sizeof buf);
    return buf;
}

size_t physical_memory_quarter() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) / 4
                                 : static_cast<size_t>(1) << 30;
}

// .npy interop (--save / --load): file names are <prefix><arg>.npy.
bool save_tensors(const std::string &dir, const std::string &prefix, const kb_problem &problem,
                  float *const *tensors, bool outputs, char *why, size_t why_len) {
    for (int a = 0; a < KB_ARG_COUNT; a++) {
        const kb_arg arg = static_cast<kb_arg>(a);
        const kb_arg_role role = kb_problem_arg_role(&problem, arg);
        if (role == KB_ROLE_NONE || !tensors[a]) continue;
        if (outputs ? role == KB_ROLE_IN : role == KB_ROLE_OUT) continue;
        int64_t dims[KB_MAX_ARG_DIMS];
        const int ndims = kb_problem_arg_dims(&problem, arg, dims);
        const std::string path = dir + "/" + prefix + kb_arg_name(arg) + ".npy";
        if (kb_npy_write(path.c_str(), tensors[a], dims, ndims, why, why_len) != 0) return false;
    }
    return true;
}

// "mb1ic3ih5..." -> the case directory under --save/--load's DIR.
std::string case_dir(const std::string &root, const kb_problem &problem, const char *descriptor) {
    return root + "/" + kb_kernel_name(problem.kernel) + "_" +
           kb_direction_name(problem.direction) + "_" + descriptor;
}

bool make_dir(const std::string &path, char *why, size_t why_len) {
    if (mkdir(path.c_str(), 0777) == 0 || errno == EEXIST) return true;
    snprintf(why, why_len, "--save: cannot create '%s': %s", path.c_str(), strerror(errno));
    return false;
}

// Reads DIR/input_<arg>.npy for every input of `problem`, checking each
// against the tensor's true shape. `loaded` owns the arrays on success.
bool load_inputs(const std::string &dir, const kb_problem &problem, float *loaded[KB_ARG_COUNT],
                 char *why, size_t why_len) {
    for (int a = 0; a < KB_ARG_COUNT; a++) loaded[a] = nullptr;
    for (int a = 0; a < KB_ARG_COUNT; a++) {
        const kb_arg arg = static_cast<kb_arg>(a);
        const kb_arg_role role = kb_problem_arg_role(&problem, arg);
        if (role == KB_ROLE_NONE || role == KB_ROLE_OUT) continue;
        const std::string path = dir + "/input_" + kb_arg_name(arg) + ".npy";
        int64_t dims[KB_NPY_MAX_DIMS], want[KB_MAX_ARG_DIMS];
        int ndims = 0;
        if (kb_npy_read(path.c_str(), &loaded[a], dims, &ndims, why, why_len) != 0) return false;
        const int want_ndims = kb_problem_arg_dims(&problem, arg, want);
        bool same = ndims == want_ndims;
        for (int i = 0; same && i < ndims; i++) same = dims[i] == want[i];
        if (!same) {
            std::string got, need;
            for (int i = 0; i < ndims; i++) got += (i ? ", " : "") + std::to_string(dims[i]);
            for (int i = 0; i < want_ndims; i++) need += (i ? ", " : "") + std::to_string(want[i]);
            snprintf(why, why_len, "--load: '%s' has shape (%s); %s %s needs (%s)", path.c_str(),
                     got.c_str(), kb_kernel_name(problem.kernel),
                     kb_direction_name(problem.direction), need.c_str());
            return false;
        }
    }
    return true;
}

void free_inputs(float *loaded[KB_ARG_COUNT]) {
    for (int a = 0; a < KB_ARG_COUNT; a++) free(loaded[a]), loaded[a] = nullptr;
}

// Whether bench gives `variant` a row at `threads`: single-threaded variants
// (naive) are timed at 1 thread only.
bool has_row_at(const kb_variant *variant, int threads) {
    return !variant->single_threaded || threads == 1;
}

void print_row(const Row &r) {
    char timing[112] = "", onednn[16] = "", openblas[16] = "", err[16] = "";
    if (r.timed)
        snprintf(timing, sizeof timing, "%10.4f %10.4f %10.4f %6.1f %9.2f %8.2f", r.median_ms,
                 r.min_ms, r.max_ms, r.cv_pct, r.gflops, r.gbps);
    if (!std::isnan(r.ratio_to_onednn)) snprintf(onednn, sizeof onednn, "%.2f", r.ratio_to_onednn);
    if (!std::isnan(r.ratio_to_openblas))
        snprintf(openblas, sizeof openblas, "%.2f", r.ratio_to_openblas);
    if (r.checked) snprintf(err, sizeof err, "%.2g", r.check.max_rel_err);
    printf("  %-12s %3d %-7s %-4s %-59s %8s %9s %9s  %-7s %s\n", r.variant, r.threads,
           kb_bind_name(r.bind), r.cold ? "cold" : "warm", timing, onednn, openblas, err, r.verdict.c_str(), r.note.c_str());
}

void set_roofline(Row *r, const kb_probe &probe, double flops, double bytes) {
    r->peak_gflops = std::max(probe.peak_avx2_gflops, probe.peak_avx512_gflops);
    r->stream_gbps = probe.stream_gbps;
    if (bytes <= 0 || r->stream_gbps <= 0) return;
    if (flops > 0) {
        r->intensity = flops / bytes;
        r->roofline_gflops = std::min(r->peak_gflops, r->intensity * r->stream_gbps);
        r->pct_of_roofline = 100.0 * r->gflops / r->roofline_gflops;
    } else {
        r->pct_of_roofline = 100.0 * r->gbps / r->stream_gbps;
    }
}

// The median time of the row of `peer` (onednn, openblas) in `rows`, NaN if none.
double peer_time(const std::vector<Row> &rows, const char *peer) {
    for (const Row &r : rows)
        if (r.timed && std::strcmp(r.variant, peer) == 0) return r.median_ms;
    return NAN;
}

void print_list(const kb_options &o) {
    printf("CPU ISA: %s (cap with KB_MAX_ISA=scalar|avx2|avx512)\n\n", kb_isa_name(kb_cpu_isa()));
    printf("%-8s %-12s %-12s %-7s %-10s %s\n", "kernel", "direction", "variant", "isa", "status",
           "summary");
    for (int d = 0; d < KB_DIR_COUNT; d++) {
        for (size_t i = 0; i < kb_registry_size(); i++) {
            const kb_variant *v = kb_registry_get(i);
            if ((o.kernel_given && v->kernel != o.kernel) || v->direction != d) continue;
            const bool usable = kb_cpu_has(v->required_isa);
            printf("%-8s %-12s %-12s %-7s %-10s %s%s%s\n", kb_kernel_name(v->kernel),
                   kb_direction_name(v->direction), v->name, kb_isa_name(v->required_isa),
                   usable ? "available" : "skipped", v->summary ? v->summary : "",
                   usable ? "" : " -- skipped: ",
                   usable ? ""
                   : v->required_isa == KB_ISA_AVX512
                       ? "the CPU lacks AVX-512 (or KB_MAX_ISA caps it)"
                       : "the CPU lacks AVX2+FMA (or KB_MAX_ISA caps it)");
        }
        for (size_t i = 0; i < kb_registry_absent_size(); i++) {
            const kb_absent_variant *a = kb_registry_absent_get(i);
            if ((o.kernel_given && a->kernel != o.kernel) || a->direction != d) continue;
            printf("%-8s %-12s %-12s %-7s %-10s not in this build: %s\n", kb_kernel_name(a->kernel),
                   kb_direction_name(a->direction), a->name, "-", "absent", a->why);
        }
    }
    printf("\nshape sets:\n");
    for (int k = 0; k < KB_KERNEL_COUNT; k++) {
        if ((o.kernel_given && k != o.kernel) || !kb_kernel_available(static_cast<kb_kernel>(k)))
            continue;
        char names[256];
        kb_shape_set_names(static_cast<kb_kernel>(k), names, sizeof names);
        printf("  %-13s %s\n", kb_kernel_name(static_cast<kb_kernel>(k)), names);
    }
}

} // namespace

int main(int argc, char **argv) {
    kb_sysinfo info;
    kb_sysinfo_read(&info);

    // --benchmark_* flags go to Google Benchmark, the rest to our parser.
    std::vector<char *> ours{argv[0]}, theirs{argv[0]};
    for (int i = 1; i < argc; i++)
        (std::strncmp(argv[i], "--benchmark_", 12) == 0 ? theirs : ours).push_back(argv[i]);
    kb_options o;
    char why[1024];
    if (kb_options_parse(static_cast<int>(ours.size()), ours.data(), info.cores, info.pus, &o,
                         why, sizeof why) != 0) {
        fprintf(stderr, "bench: %s\n", why);
        return 2;
    }
    if (o.help) {
        fputs(kb_usage, stdout);
        return 0;
    }
    if (o.list) {
        print_list(o);
        return 0;
    }
    if (o.compare_base) {
        const int rc = kb_compare_csv(o.compare_base, o.compare_new, o.threshold_pct, stdout, why,
                                      sizeof why);
        if (rc == 2) fprintf(stderr, "bench: %s\n", why);
        return rc;
    }
    hwloc_topology_t topology = nullptr;
    if (hwloc_topology_init(&topology) != 0 || hwloc_topology_load(topology) != 0) {
        fprintf(stderr, "bench: hwloc could not read the topology\n");
        if (topology) hwloc_topology_destroy(topology);
        return 2;
    }
    // Destroyed on every return below.
    std::unique_ptr<hwloc_topology, void (*)(hwloc_topology_t)> topology_guard(
        topology, hwloc_topology_destroy);
    if (o.topology) {
        kb_topology_print(topology, stdout);
        return 0;
    }

    kb_shape_list shapes;
    const char *shape_spec = o.shape_spec ? o.shape_spec : kb_shape_default_set(o.kernel);
    if (!shape_spec) {
        fprintf(stderr, "bench: --shape: %s has no shape sets; give a descriptor\n",
                kb_kernel_name(o.kernel));
        return 2;
    }
    if (kb_shapes_resolve(o.kernel, shape_spec, o.batch, &shapes, why, sizeof why) != KB_OK) {
        fprintf(stderr, "bench: %s\n", why);
        return 2;
    }
    // Freed on every return below.
    std::unique_ptr<kb_shape_list, void (*)(kb_shape_list *)> shapes_guard(&shapes,
                                                                          kb_shape_list_free);
    if (o.n_working_sets > 0) {
        kb_cache_info caches;
        kb_topology_caches(topology, &caches);
        const double llc = static_cast<double>(kb_llc_bytes());
        const double level_bytes[4] = {static_cast<double>(caches.l1d_bytes),
                                       static_cast<double>(caches.l2_bytes), llc, 8.0 * llc};
        static const char *const names[4] = {"L1", "L2", "L3", "DRAM"};
        std::vector<double> budgets;
        std::vector<const char *> labels;
        for (int l = 0; l < 4; l++) {
            if (!o.working_sets[l]) continue;
            if (level_bytes[l] <= 0) {
                fprintf(stderr, "bench: --working-set: this machine reports no %s cache\n",
                        names[l]);
                return 2;
            }
            budgets.push_back(level_bytes[l] / 2); // half the level; DRAM: 4x the L3
            labels.push_back(names[l]);
        }
        if (kb_shapes_fit_working_sets(&shapes, o.directions[0], budgets.data(), labels.data(),
                                       budgets.size(), why, sizeof why) != KB_OK) {
            fprintf(stderr, "bench: %s\n", why);
            return 2;
        }
    }
    // Refuse up front what cannot fit or load, before any row is written.
    if (o.load_dir && shapes.count != 1) {
        fprintf(stderr, "bench: --load: give exactly one --shape descriptor (got %zu shapes)\n",
                shapes.count);
        return 2;
    }
    // --load: the inputs of each direction, read and checked now.
    struct LoadedInputs { // --load: per direction, freed on every return
        std::vector<std::vector<float *>> per_direction;
        ~LoadedInputs() {
            for (auto &inputs : per_direction) free_inputs(inputs.data());
        }
    } loaded_inputs{std::vector<std::vector<float *>>(o.n_directions,
                                                      std::vector<float *>(KB_ARG_COUNT))};
    auto &loaded = loaded_inputs.per_direction;
    for (size_t d = 0; o.load_dir && d < o.n_directions; d++) {
        kb_problem problem = shapes.items[0].problem;
        problem.direction = o.directions[d];
        if (!load_inputs(o.load_dir, problem, loaded[d].data(), why, sizeof why)) {
            fprintf(stderr, "bench: %s\n", why);
            return 2;
        }
    }
    const char *npy_root = o.load_dir ? o.load_dir : o.save_dir;
    if (o.save_dir && !o.load_dir && !make_dir(o.save_dir, why, sizeof why)) {
        fprintf(stderr, "bench: %s\n", why);
        return 2;
    }
    for (size_t s = 0; s < shapes.count; s++) {
        for (size_t d = 0; d < o.n_directions; d++) {
            kb_problem problem = shapes.items[s].problem;
            problem.direction = o.directions[d];
            if (kb_case_check_memory(&problem, why, sizeof why) != KB_OK) {
                fprintf(stderr, "bench: %s\n", why);
                return 2;
            }
        }
    }
    std::string csv_path = o.csv_path ? o.csv_path
                                      : std::string("results/") + info.host + "-" + info.date +
                                            "-" + kb_kernel_name(o.kernel) + ".csv";
    if (kb_csv_check(csv_path.c_str(), o.csv_path == nullptr, why, sizeof why) != 0) {
        fprintf(stderr, "bench: %s\n", why);
        return 2;
    }
    if (o.json_path && csv_path == o.json_path) {
        fprintf(stderr, "bench: --json: '%s' is the CSV file too\n", o.json_path);
        return 2;
    }
    for (size_t i = 0; i < o.n_threads; i++)
        if (o.threads[i] > info.pus)
            fprintf(stderr, "bench: warning: --threads %d exceeds the %d hardware threads\n",
                    o.threads[i], info.pus);

    int bench_argc = static_cast<int>(theirs.size());
    benchmark::Initialize(&bench_argc, theirs.data());
    if (benchmark::ReportUnrecognizedArguments(bench_argc, theirs.data())) return 2;
    JsonOutput json;
    if (o.json_path) {
        benchmark::AddCustomContext("kernbench_commit", info.git_commit);
        benchmark::AddCustomContext("kernbench_run_id", info.run_id);
        benchmark::AddCustomContext("kernbench_host", info.host);
        benchmark::AddCustomContext("kernbench_machine_id", info.machine_id);
        benchmark::AddCustomContext("kernbench_cpu", info.cpu_model);
        benchmark::AddCustomContext("kernbench_isa", kb_isa_name(kb_cpu_isa()));
        benchmark::AddCustomContext("kernbench_csv", csv_path);
        if (!json.open(o.json_path, why, sizeof why)) {
            fprintf(stderr, "bench: %s\n", why);
            return 2;
        }
    }

    // stdout carries the table only; the banner and probe lines go to stderr.
    if (!o.quiet)
        fprintf(stderr, "kernbench %s on %s (%s, %d cores, ISA %s); %d reps x >= %gs; CSV: %s\n",
                info.git_commit, info.host, info.cpu_model, info.cores, kb_isa_name(kb_cpu_isa()),
                o.reps, o.min_time_s, csv_path.c_str());
    printf("  %-12s %3s %-7s %-4s %10s %10s %10s %6s %9s %8s %8s %9s %9s  %s\n", "variant", "thr",
           "bind", "mem",
           "median_ms", "min_ms", "max_ms", "cv%", "GFLOP/s", "GB/s", "/onednn", "/openblas",
           "rel_err", "verdict");

    // The machine's limits, once per thread count (probe.h).
    std::vector<kb_probe> probes(o.n_threads);
    if (!o.no_probe) {
        for (size_t t = 0; t < o.n_threads; t++) {
            wait_for_quiet(o.quiet); // OpenBLAS's workers spin after the library loads
            kb_probe_run(o.threads[t], &probes[t]);
            if (!o.quiet)
                fprintf(stderr, "probe: %d threads: peak %.1f GFLOP/s AVX2, %.1f GFLOP/s AVX-512; triad "
                   "%.1f GB/s (3 x %.0f MiB)\n",
                   o.threads[t], probes[t].peak_avx2_gflops, probes[t].peak_avx512_gflops,
                   probes[t].stream_gbps, probes[t].stream_array_bytes / 1048576.0);
        }
    }

    {
        std::string extra, binds;
        for (size_t b = 0; b < o.n_binds; b++) binds += std::string(b ? "," : "") + kb_bind_name(o.binds[b]);
        for (size_t t = 0; t < o.n_threads && !o.no_probe; t++) {
            char line[256];
            snprintf(line, sizeof line,
                     "probe_%d_threads: peak %.1f GFLOP/s AVX2, %.1f GFLOP/s AVX-512, triad %.1f GB/s\n",
                     o.threads[t], probes[t].peak_avx2_gflops, probes[t].peak_avx512_gflops,
                     probes[t].stream_gbps);
            extra += line;
        }
        if (kb_sysinfo_write_machine((csv_path + ".machine").c_str(), &info, topology,
                                     binds.c_str(), extra.c_str(), why, sizeof why) != 0) {
            fprintf(stderr, "bench: %s\n", why);
            return 2;
        }
    }

    // One progress step per row: the rows the loops below will produce.
    size_t total_rows = 0;
    for (size_t d = 0; d < o.n_directions; d++) {
        const kb_variant *variants[KB_MAX_LIST];
        const size_t n = kb_registry_select(o.kernel, o.directions[d], o.variants, o.n_variants,
                                            variants, KB_MAX_LIST);
        for (size_t t = 0; t < o.n_threads; t++)
            for (size_t v = 0; v < n; v++)
                if (has_row_at(variants[v], o.threads[t]))
                    total_rows += shapes.count * o.n_binds * (o.caches[0] + o.caches[1]);
    }
    Progress progress(total_rows, o.quiet);

    bool any_fail = false, csv_failed = false;
    for (size_t s = 0; s < shapes.count && !csv_failed; s++) {
        const kb_shape &shape = shapes.items[s];
        for (size_t d = 0; d < o.n_directions && !csv_failed; d++) {
            kb_problem problem = shape.problem;
            problem.direction = o.directions[d];
            const kb_variant *variants[KB_MAX_LIST];
            const size_t n_variants =
                kb_registry_select(o.kernel, problem.direction, o.variants, o.n_variants,
                                   variants, KB_MAX_LIST);
            const double flops = kb_problem_flops(&problem);
            progress.clear();
            printf("%s %s %s (%.3g GFLOP, %.3g MB)\n", shape.label[0] ? shape.label : "-",
                   shape.descriptor, kb_direction_name(problem.direction), flops * 1e-9,
                   kb_problem_min_bytes(&problem) * 1e-6);
            fflush(stdout);
            kb_case c;
            if (kb_case_init(&c, &problem, KB_FILL_REAL, 42 + s, why, sizeof why) != KB_OK) {
                fprintf(stderr, "bench: %s\n", why);
                return 2;
            }
            if (o.load_dir && kb_case_set_inputs(&c, loaded[d].data(), why, sizeof why) != KB_OK) {
                fprintf(stderr, "bench: %s\n", why);
                kb_case_free(&c);
                return 2;
            }
            // --save: the inputs and the reference's outputs of this case; --load:
            // the reference's outputs next to the inputs.
            std::string npy_dir;
            if (npy_root) {
                npy_dir = o.load_dir ? std::string(o.load_dir)
                                     : case_dir(npy_root, problem, shape.descriptor);
                float *initial[KB_ARG_COUNT];
                for (int a = 0; a < KB_ARG_COUNT; a++)
                    initial[a] = c.initial[a] ? c.initial[a] : c.args.tensor[a];
                if (!make_dir(npy_dir, why, sizeof why) ||
                    (!o.load_dir && !save_tensors(npy_dir, "input_", problem, initial, false, why,
                                                  sizeof why)) ||
                    !save_tensors(npy_dir, "reference_", problem, c.ref_outputs, true, why,
                                  sizeof why)) {
                    fprintf(stderr, "bench: %s\n", why);
                    csv_failed = true;
                }
            }
            // --cache cold: enough copies of the tensors to overflow the LLC twice.
            std::vector<kb_case> cold_copies;
            const std::vector<kb_case> no_copies;
            std::string cold_note;
            if (o.caches[1]) {
                const size_t io = std::max<size_t>(kb_case_io_bytes(&c), 1);
                size_t wanted = 2 * kb_llc_bytes() / io + 2;
                const size_t budget = physical_memory_quarter() / io;
                if (wanted > budget) {
                    cold_note = "cold: only " + std::to_string(budget) + " of " +
                                std::to_string(wanted) + " copies fit in memory; ";
                    wanted = std::max<size_t>(budget, 1);
                }
                cold_copies.resize(wanted);
                for (size_t i = 0; i < wanted; i++)
                    if (kb_case_clone_io(&c, &cold_copies[i]) != KB_OK) {
                        cold_copies.resize(i);
                        cold_note = "cold: out of memory after " + std::to_string(i) + " copies; ";
                        break;
                    }
            }
            for (size_t t = 0; t < o.n_threads && !csv_failed; t++)
            for (size_t b = 0; b < o.n_binds && !csv_failed; b++)
            for (int cold = 0; cold < 2 && !csv_failed; cold++) {
                if (!o.caches[cold]) continue;
                const int threads = o.threads[t];
                // Placement and the OpenMP pool belong to bench, not to kernels;
                // oneDNN (OpenMP runtime) reads the same setting.
                omp_set_num_threads(threads);
                const unsigned saved_csr = _mm_getcsr();
                std::vector<int> plan(threads);
                kb_placement_plan(topology, o.binds[b], threads, plan.data());
                bool misplaced = false;
                const std::string pus = place_threads(topology, plan, threads, &misplaced);
                std::vector<Row> rows;
                for (size_t v = 0; v < n_variants; v++) {
                    const kb_variant *variant = variants[v];
                    if (!has_row_at(variant, threads)) continue;
                    const std::string row_name =
                        std::string(kb_kernel_name(o.kernel)) + "/" +
                        kb_direction_name(problem.direction) + "/" + shape.descriptor + "/" +
                        variant->name + "/threads:" + std::to_string(threads) +
                        "/bind:" + kb_bind_name(o.binds[b]) + "/cache:" + (cold ? "cold" : "warm");
                    progress.row(row_name);
                    Row r;
                    r.shape = &shape;
                    r.direction = problem.direction;
                    r.variant = variant->name;
                    r.variant_isa = kb_isa_name(variant->required_isa);
                    r.threads = threads;
                    r.bind = o.binds[b];
                    r.cold = cold;
                    r.pus = pus;
                    if (cold) r.note += cold_note;
                    if (misplaced) r.note = "warning: a thread ran off its planned PU; ";
                    const char *why_not = nullptr;
                    if (!kb_variant_usable(variant, &problem, &why_not)) {
                        r.verdict = "SKIP";
                        r.note += why_not ? why_not : "declined";
                        rows.push_back(r);
                        continue;
                    }
                    kb_prepared prepared;
                    kb_status status = kb_prepared_init(&prepared, variant, &c, threads);
                    if (status != KB_OK) {
                        r.verdict = "ERROR";
                        r.note += std::string("prepare: ") + kb_status_name(status);
                        any_fail = true;
                        rows.push_back(r);
                        continue;
                    }
                    r.prepare_ms = prepared.prepare_ms;
                    r.variant_isa = kb_prepared_isa(&prepared);
                    // The check run doubles as the warm-up run.
                    if (o.no_check) {
                        status = kb_prepared_run(&prepared, &c);
                        r.verdict = "UNCHECKED";
                    } else {
                        status = kb_case_run_and_check(&prepared, &c, &r.check);
                        r.checked = status == KB_OK;
                        kb_output_copy first;
                        if (r.checked && o.determinism &&
                            kb_case_copy_outputs(&c, &first) == KB_OK) {
                            kb_check_result again;
                            status = kb_case_run_and_check(&prepared, &c, &again);
                            const bool same = status == KB_OK && kb_case_outputs_equal(&c, &first);
                            kb_output_copy_free(&first);
                            if (same) {
                                r.deterministic = "yes";
                            } else if (variant->nondeterministic) {
                                r.deterministic = std::string("no (expected: ") +
                                                  variant->nondeterministic + ")";
                            } else {
                                r.deterministic = "no";
                                r.note += "NOT deterministic though the variant claims it; ";
                                any_fail = true;
                            }
                        }
                        if (r.checked && !npy_dir.empty() && b == 0) {
                            const std::string prefix = std::string(variant->name) + "_t" +
                                                       std::to_string(threads) + "_";
                            if (!save_tensors(npy_dir, prefix, problem, c.args.tensor, true, why,
                                              sizeof why)) {
                                fprintf(stderr, "bench: %s\n", why);
                                csv_failed = true;
                            }
                        }
                        r.verdict = r.check.pass ? "PASS" : "FAIL";
                        if (r.checked && !r.check.pass) {
                            any_fail = true;
                            r.note += std::to_string(r.check.mismatches) +
                                      " elements outside tolerance";
                        }
                    }
                    if (status != KB_OK) {
                        r.verdict = "ERROR";
                        r.note += std::string("run: ") + kb_status_name(status);
                        any_fail = true;
                    } else {
                        Stats stats;
                        std::string error;
                        r.reps = o.reps;
                        // The check run may have left worker threads spinning
                        // (OpenBLAS's, libgomp's): see quiesce.h.
                        if (!wait_for_quiet(o.quiet)) r.note += "other threads stayed busy; ";
                        if (time_variant(&prepared, &c, cold ? cold_copies : no_copies, o,
                                         row_name, flops, kb_problem_min_bytes(&problem),
                                         json.reporter(), &stats, &error)) {
                            r.timed = true;
                            r.median_ms = stats.median * 1e3;
                            r.min_ms = stats.min * 1e3;
                            r.max_ms = stats.max * 1e3;
                            r.cv_pct = stats.cv_pct;
                            for (size_t i = 0; i < stats.samples.size(); i++) {
                                char one[32];
                                snprintf(one, sizeof one, "%s%.6g", i ? ";" : "",
                                         stats.samples[i] * 1e3);
                                r.samples_ms += one;
                            }
                            r.gflops = flops / stats.median * 1e-9;
                            r.gbps = kb_problem_min_bytes(&problem) / stats.median * 1e-9;
                        } else {
                            r.verdict = "ERROR";
                            r.note += "timing: " + error;
                            any_fail = true;
                        }
                    }
                    kb_prepared_release(&prepared);
                    rows.push_back(r);
                }
                // Ratios of times, so kernels counted in bytes only get them too.
                const double onednn_ms = peer_time(rows, "onednn");
                const double openblas_ms = peer_time(rows, "openblas");
                std::string text;
                progress.clear();
                for (Row &r : rows) {
                    if (r.timed) {
                        r.ratio_to_onednn = onednn_ms / r.median_ms;
                        r.ratio_to_openblas = openblas_ms / r.median_ms;
                        if (!o.no_probe) set_roofline(&r, probes[t], flops,
                                                      kb_problem_min_bytes(&problem));
                    }
                    print_row(r);
                    text += csv_line(info, o, r);
                }
                fflush(stdout);
                _mm_setcsr(saved_csr); // the next reference runs without FTZ/DAZ
                if (!text.empty() && kb_csv_append(csv_path.c_str(), text.c_str(), why,
                                                   sizeof why) != 0) {
                    fprintf(stderr, "bench: %s\n", why);
                    csv_failed = true;
                }
            }
            for (kb_case &copy : cold_copies) kb_case_free(&copy);
            kb_case_free(&c);
        }
    }

    progress.clear();
    if (!json.finish(why, sizeof why)) {
        fprintf(stderr, "bench: %s\n", why);
        return 1;
    }
    if (csv_failed) return 1;
    if (any_fail) {
        fprintf(stderr, "bench: at least one row FAILED its check or reported an error\n");
        return 1;
    }
    return 0;
}
