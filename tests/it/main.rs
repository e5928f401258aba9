//! Integration tests: one binary driving the public library (the router in-process, and
//! the real `run_plan` against test servers on 127.0.0.1 port 0).

mod api;
