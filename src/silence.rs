//! Quieting what a library prints on stderr where its failures are the point.

/// Runs `f` with file descriptor 2 pointed at /dev/null.
pub fn stderr<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain descriptor calls; the saved descriptor is restored and closed.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        let saved = libc::dup(2);
        if null < 0 || saved < 0 {
            return f();
        }
        libc::dup2(null, 2);
        libc::close(null);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}
