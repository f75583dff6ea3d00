fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let t = std::time::Instant::now();
    let out = ftsim::run::run(seed, ftsim::Options::fast()).unwrap();
    println!("{:#?}\nhash {:x} events {} wall {:?}", out.summary, out.history_hash, out.events.len(), t.elapsed());
    for e in out.events.iter().filter(|e| !matches!(e.kind, ftsim::EventKind::Attempt{..}|ftsim::EventKind::Invoke{..}|ftsim::EventKind::Ok{..}|ftsim::EventKind::JournalAppend{..}|ftsim::EventKind::JournalAck{..}|ftsim::EventKind::JournalFlush{..}|ftsim::EventKind::Fail{..})).take(60) { println!("{:>10.1} {:<10} {:?}", e.at_ms(), e.node, e.kind); }
}
