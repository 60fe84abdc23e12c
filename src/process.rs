//! Settings of the whole process that the binaries and the benchmarks make at start-up, so
//! that a benchmark measures the program as users run it.

/// Small pages for this process. mimalloc asks Linux for transparent huge pages on its
/// arenas and gives freed memory back as it goes; every page it touches again is then a
/// fresh 2 MB huge page, zeroed (and compacted for) in the kernel. With them the audit of
/// 100,000 grids took 2.9-7.9 s whole process, 1.5-5.8 s of it in the kernel; without
/// them 1.5 s (0.3 s in the kernel), and opening 400 dense grids 14 s -> 7 s. It is
/// what mimalloc's own `MIMALLOC_ALLOW_THP=0` does, set before anything is allocated in
/// earnest.
pub fn small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this
    // process's memory map; it cannot touch memory the program holds.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
