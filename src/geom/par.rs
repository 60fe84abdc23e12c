//! Work split over two cores past a size: below it, handing work to another core costs
//! more than it saves.

/// Vertices past which a step of an edit or of the audit goes to two cores: handing work
/// to the second core cost a split of a 7-vertex cell about 0.1 ms of its 0.3, and gains
/// nothing that small.
pub const TWO_CORES_AT: usize = 2_000;

/// `a` and `b`, side by side on two cores when `big`, else one after the other.
pub fn join_if<RA: Send, RB: Send>(
    big: bool,
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    if big { rayon::join(a, b) } else { (a(), b()) }
}

/// `f` of each of `0..n`, in order: on the cores at hand past [`TWO_CORES_AT`].
pub fn map_indices<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    if n > TWO_CORES_AT {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    } else {
        (0..n).map(f).collect()
    }
}

/// Whether work beside the audit may split itself further: on two cores, one takes the
/// audit and the other the indexes; a core waiting on a half of its own split takes one
/// of the audit's long tasks meanwhile, and the edit waits for both.
pub fn beside_the_audit() -> bool {
    rayon::current_num_threads() > 2
}
