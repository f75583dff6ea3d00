//! A loopback TCP proxy per client that can cut or delay its traffic.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Link {
    /// Nothing passes; what is sent meanwhile on a connection is held and delivered when
    /// healed, as TCP retransmission delivers it after a partition heals. A connection opened
    /// meanwhile waits for a SYN retransmission (see `connect_later`).
    pub cut: bool,
    pub delay: Duration,
    closed: bool,
}

#[derive(Default)]
struct ProxyShared {
    link: Mutex<Link>,
    changed: Condvar,
    streams: Mutex<Vec<TcpStream>>,
}

/// One client's way to the server: three listening ports (the client sees an ensemble of three
/// addresses, all reaching the one server), each connection forwarded both ways.
pub struct Proxy {
    ports: Vec<u16>,
    shared: Arc<ProxyShared>,
    listeners: Vec<thread::JoinHandle<()>>,
}

enum Chunk {
    Bytes(Instant, Vec<u8>),
    End,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let shared = Arc::new(ProxyShared::default());
        let mut ports = vec![];
        let mut listeners = vec![];
        for _ in 0..3 {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            ports.push(listener.local_addr().unwrap().port());
            let shared = shared.clone();
            listeners.push(thread::spawn(move || loop {
                if shared.link.lock().unwrap().closed {
                    return;
                }
                match listener.accept() {
                    Ok((client, _)) if shared.link.lock().unwrap().cut => {
                        let shared = shared.clone();
                        thread::spawn(move || Proxy::connect_later(&shared, client, upstream));
                    }
                    Ok((client, _)) => Proxy::connect(&shared, client, upstream, &[]),
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }));
        }
        Proxy {
            ports,
            shared,
            listeners,
        }
    }

    /// A connection opened while the link is cut: on loopback the kernel has accepted it at
    /// once, but across a partition its SYN would be lost and sent again 1 s, 3 s and 7 s after
    /// the first (Linux's initial retransmission timeout, doubled). So it is held until the first
    /// of those times at which the link is whole, and goes through then, unless the client gave
    /// up on it meanwhile (ZooKeeper's connection timeout): then the server never hears of it.
    fn connect_later(shared: &Arc<ProxyShared>, mut client: TcpStream, upstream: SocketAddr) {
        shared
            .streams
            .lock()
            .unwrap()
            .push(client.try_clone().unwrap());
        let accepted = Instant::now();
        for retry in [1, 3, 7, 15] {
            let due = accepted + Duration::from_secs(retry);
            let mut link = shared.link.lock().unwrap();
            while !link.closed && Instant::now() < due {
                let left = due.saturating_duration_since(Instant::now());
                link = shared.changed.wait_timeout(link, left).unwrap().0;
            }
            if link.closed {
                return;
            }
            if link.cut {
                continue;
            }
            drop(link);
            // What the client sent meanwhile, and whether it is still there.
            client.set_nonblocking(true).unwrap();
            let mut sent = vec![];
            let mut buf = [0u8; 4096];
            loop {
                match client.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => sent.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => return,
                }
            }
            Proxy::connect(shared, client, upstream, &sent);
            return;
        }
    }

    fn connect(shared: &Arc<ProxyShared>, client: TcpStream, upstream: SocketAddr, sent: &[u8]) {
        client.set_nonblocking(false).unwrap();
        let Ok(mut server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(1)) else {
            // The server is down: the connection is refused.
            return;
        };
        if server.write_all(sent).is_err() {
            return;
        }
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        {
            let mut streams = shared.streams.lock().unwrap();
            streams.push(client.try_clone().unwrap());
            streams.push(server.try_clone().unwrap());
        }
        Proxy::pump(
            shared,
            client.try_clone().unwrap(),
            server.try_clone().unwrap(),
        );
        Proxy::pump(shared, server, client);
    }

    /// Forwards `from` to `to`: a reader stamps each chunk, a writer sends it once the link is
    /// not cut and its delay has passed.
    fn pump(shared: &Arc<ProxyShared>, mut from: TcpStream, mut to: TcpStream) {
        let (tx, rx) = mpsc::channel::<Chunk>();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(Chunk::End);
                        return;
                    }
                    Ok(n) => {
                        if tx
                            .send(Chunk::Bytes(Instant::now(), buf[..n].to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
        let shared = shared.clone();
        thread::spawn(move || {
            for chunk in rx {
                let at = match &chunk {
                    Chunk::Bytes(at, _) => Some(*at),
                    Chunk::End => None,
                };
                let mut link = shared.link.lock().unwrap();
                loop {
                    if link.closed {
                        return;
                    }
                    let due = at.map(|at| at + link.delay);
                    let now = Instant::now();
                    if link.cut {
                        link = shared
                            .changed
                            .wait_timeout(link, Duration::from_millis(20))
                            .unwrap()
                            .0;
                    } else if let Some(due) = due.filter(|d| *d > now) {
                        link = shared.changed.wait_timeout(link, due - now).unwrap().0;
                    } else {
                        break;
                    }
                }
                drop(link);
                match chunk {
                    Chunk::Bytes(_, bytes) => {
                        if to.write_all(&bytes).is_err() {
                            return;
                        }
                    }
                    Chunk::End => {
                        let _ = to.shutdown(Shutdown::Write);
                        return;
                    }
                }
            }
        });
    }

    pub fn connect_string(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn set(&self, f: impl FnOnce(&mut Link)) {
        f(&mut self.shared.link.lock().unwrap());
        self.shared.changed.notify_all();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set(|l| l.closed = true);
        for s in self.shared.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        for l in self.listeners.drain(..) {
            let _ = l.join();
        }
    }
}
