//! Scripts, tersely.

use ftsim::conformance::{Mode, Step};

pub struct S(pub Vec<Step>);

impl S {
    pub fn new() -> S {
        S(vec![])
    }
    pub fn open(mut self, c: &str, session_ms: u64) -> S {
        self.0.push(Step::Open {
            client: c.into(),
            session_ms,
            connection_ms: session_ms / 2,
        });
        self
    }
    pub fn create(mut self, c: &str, path: &str, mode: Mode) -> S {
        self.0.push(Step::Create {
            client: c.into(),
            path: path.into(),
            mode,
        });
        self
    }
    pub fn dir(self, c: &str, path: &str) -> S {
        self.create(c, path, Mode::Persistent)
    }
    pub fn delete(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Delete {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    pub fn exists(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Exists {
            client: c.into(),
            path: path.into(),
            watch: false,
        });
        self
    }
    pub fn watch(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Exists {
            client: c.into(),
            path: path.into(),
            watch: true,
        });
        self
    }
    pub fn children(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Children {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    pub fn stale_exists(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::StaleExists {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    pub fn expire(mut self, c: &str) -> S {
        self.0.push(Step::Expire { client: c.into() });
        self
    }
    pub fn elect(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Elect {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    pub fn close(mut self, c: &str) -> S {
        self.0.push(Step::Close { client: c.into() });
        self
    }
    pub fn sleep(mut self, ms: u64) -> S {
        self.0.push(Step::Sleep { ms });
        self
    }
    pub fn cut(mut self, c: &str) -> S {
        self.0.push(Step::Cut { client: c.into() });
        self
    }
    pub fn heal(mut self, c: &str) -> S {
        self.0.push(Step::Heal { client: c.into() });
        self
    }
    pub fn delay(mut self, c: &str, ms: u64) -> S {
        self.0.push(Step::Delay {
            client: c.into(),
            ms,
        });
        self
    }
    pub fn server_down(mut self) -> S {
        self.0.push(Step::ServerDown);
        self
    }
    pub fn server_up(mut self) -> S {
        self.0.push(Step::ServerUp);
        self
    }
}

/// The tolerance of scenarios that time only calls.
pub const OPS: &str =
    "calls answer within a round trip on both sides (loopback; the model: 1 ms each way)";
