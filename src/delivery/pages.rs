//! Memory pages for deliveries that follow a clock: the process's memory is faulted in
//! 4 KiB pages instead of 2 MiB transparent huge pages.
//!
//! The allocator asks for huge pages where the system offers them (Linux's `madvise`
//! setting), and their first touch zeroes 2 MiB at once: 0.6–4.8 ms per fault measured on
//! a 2-core virtual machine. A real-time run grows its memory for its first seconds (the
//! records fill up to their retention), and each such fault stalls every event due
//! meanwhile: 11–20 stalls over 1 ms in the first 10 s of a 10,000 events/s run, against
//! 4–7 with base pages (`docs/performance.md`). At `--speed max` the huge pages stay: they
//! save more time in address translation than their faults cost, and nothing is late there.

use crate::units::Speed;

/// From now on the process faults its memory in base pages, if `speed` follows a clock
/// (anything but `--speed max`). Best effort: where the system cannot (not Linux, or a
/// kernel without the setting), memory stays as it was.
pub(super) fn prefer_base_pages_for(speed: Speed) {
    if matches!(speed, Speed::Max) {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        // Inherited by nothing that matters: ccsim starts no programs.
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_clocked_speed_turns_huge_pages_off_and_max_leaves_them_as_they_were() {
        let disabled = || {
            rustix::thread::transparent_huge_pages_are_disabled()
                .expect("the setting can be read on Linux")
        };
        // The setting is the whole process's: another test's real-time delivery may have
        // turned it off already, so `Max` is checked against whatever it was.
        let before = disabled();
        prefer_base_pages_for(Speed::Max);
        assert_eq!(disabled(), before, "--speed max leaves the setting alone");
        prefer_base_pages_for(Speed::Factor(1.0));
        assert!(disabled(), "a clocked speed turns huge pages off");
    }
}
