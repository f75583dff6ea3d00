// The real side of the ZooKeeper conformance suite (sims/conformance.rs): Apache Curator clients
// against a real ZooKeeper server, driven one command per line on stdin, answering and reporting
// what each client observes as JSON lines on stdout. The suite compiles it with javac against
// Debian's jars (libcurator-framework-java, libcurator-recipes-java, libzookeeper-java).
//
// Commands (tokens separated by spaces; <id> numbers the answer):
//   open <c> <sessionMs> <connectionMs> <connectString>   a CuratorFramework client named <c>
//   create <id> <c> <path> <persistent|ephemeral|persistent-sequential|ephemeral-sequential>
//   delete <id> <c> <path>
//   exists <id> <c> <path> <0|1>          1: leave a one-shot watch
//   children <id> <c> <path>
//   stale-exists <id> <c> <path>          through the ZooKeeper handle of the client's first session
//   expire <id> <c> <serverConnectString> the server closes the client's session (another handle
//                                         opened on the same session id closes it)
//   elect <id> <c> <path>                 a LeaderSelector (auto-requeue, SESSION error policy)
//   close <id> <c>
//   warm <connectString> [<proxied>]      every kind of call once, on a client and a path of its own;
//                                         with <proxied>, a cut to Curator's LOST too (see warmLoss)
//   quit
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.SessionConnectionStateErrorPolicy;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public class Driver {
    static final PrintStream OUT = System.out;

    static synchronized void emit(String json) {
        OUT.println(json);
        OUT.flush();
    }

    static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static String hex(long session) {
        return q(Long.toHexString(session));
    }

    static class Client {
        final String name;
        final CuratorFramework curator;
        volatile ZooKeeper first;
        volatile LeaderSelector selector;
        /// Set while takeLeadership runs and leadership has not been given up.
        final AtomicBoolean leading = new AtomicBoolean();
        final Watcher watcher;

        Client(String name, int sessionMs, int connectionMs, String connect) {
            this.name = name;
            this.curator = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionMs)
                .connectionTimeoutMs(connectionMs)
                .retryPolicy(new RetryNTimes(0, 0))
                .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
                .build();
            this.watcher = (WatchedEvent e) -> {
                if (e.getType() == Watcher.Event.EventType.None) {
                    emit("{\"c\":" + q(name) + ",\"ev\":\"watch-state\",\"state\":" + q(e.getState().name()) + "}");
                } else {
                    emit("{\"c\":" + q(name) + ",\"ev\":\"watch\",\"path\":" + q(e.getPath()) + ",\"kind\":" + q(e.getType().name()) + "}");
                }
            };
            curator.getConnectionStateListenable().addListener((c, state) -> {
                long session = 0;
                try {
                    // A suspended client still holds its session; a lost one holds none.
                    if (state != ConnectionState.LOST) {
                        ZooKeeper zk = c.getZookeeperClient().getZooKeeper();
                        session = zk.getSessionId();
                        if (first == null) {
                            first = zk;
                        }
                    }
                } catch (Exception ignored) {
                }
                emit("{\"c\":" + q(name) + ",\"ev\":\"state\",\"state\":" + q(state.name()) + ",\"session\":" + hex(session) + "}");
                // The leader recipe's reaction, in this one listener so that it is reported
                // after the state that caused it (Curator calls its listeners in no set order):
                // what LeaderSelectorListenerAdapter does, cancel leadership in an error state.
                LeaderSelector s = selector;
                if (s != null && c.getConnectionStateErrorPolicy().isErrorState(state)) {
                    giveUpOf(this);
                    s.interruptLeadership();
                }
            });
            curator.start();
        }
    }

    static final Map<String, Client> CLIENTS = new HashMap<>();

    /// Reports that a client gave its leadership up, once.
    static void giveUpOf(Client c) {
        if (c.leading.compareAndSet(true, false)) {
            emit("{\"c\":" + q(c.name) + ",\"ev\":\"leader\",\"leads\":false}");
        }
    }

    static String error(KeeperException e) {
        switch (e.code()) {
            case NONODE: return "NoNode";
            case NODEEXISTS: return "NodeExists";
            case NOTEMPTY: return "NotEmpty";
            case SESSIONEXPIRED: return "SessionExpired";
            case CONNECTIONLOSS: return "ConnectionLoss";
            case NOCHILDRENFOREPHEMERALS: return "NoChildrenForEphemerals";
            default: return e.code().name();
        }
    }

    static String stat(Stat s) {
        if (s == null) {
            return "\"result\":\"stat\",\"exists\":false";
        }
        return "\"result\":\"stat\",\"exists\":true,\"ctime\":" + s.getCtime() + ",\"owner\":" + hex(s.getEphemeralOwner());
    }

    static CreateMode mode(String m) {
        switch (m) {
            case "persistent": return CreateMode.PERSISTENT;
            case "ephemeral": return CreateMode.EPHEMERAL;
            case "persistent-sequential": return CreateMode.PERSISTENT_SEQUENTIAL;
            case "ephemeral-sequential": return CreateMode.EPHEMERAL_SEQUENTIAL;
            default: throw new IllegalArgumentException("mode " + m);
        }
    }

    static String run(String[] t, Client c) throws Exception {
        CuratorFramework f = c.curator;
        switch (t[0]) {
            case "create": {
                String made = f.create().withMode(mode(t[4])).forPath(t[3]);
                return "\"result\":\"created\",\"path\":" + q(made);
            }
            case "delete":
                f.delete().forPath(t[3]);
                return "\"result\":\"deleted\"";
            case "exists":
                return stat(t[4].equals("1") ? f.checkExists().usingWatcher(c.watcher).forPath(t[3]) : f.checkExists().forPath(t[3]));
            case "stale-exists":
                return stat(c.first.exists(t[3], false));
            case "children": {
                List<String> names = f.getChildren().forPath(t[3]);
                StringBuilder b = new StringBuilder("\"result\":\"children\",\"children\":[");
                boolean comma = false;
                for (String n : names) {
                    Stat s = f.checkExists().forPath(t[3].equals("/") ? "/" + n : t[3] + "/" + n);
                    b.append(comma ? "," : "").append("[").append(q(n)).append(",").append(s == null ? -1 : s.getCtime()).append("]");
                    comma = true;
                }
                return b.append("]").toString();
            }
            case "expire": {
                ZooKeeper zk = f.getZookeeperClient().getZooKeeper();
                CountDownLatch connected = new CountDownLatch(1);
                ZooKeeper killer = new ZooKeeper(t[3], 10000, e -> {
                    if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                        connected.countDown();
                    }
                }, zk.getSessionId(), zk.getSessionPasswd());
                if (!connected.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the second handle did not connect");
                }
                killer.close();
                return "\"result\":\"expired\"";
            }
            case "elect": {
                LeaderSelector s = new LeaderSelector(f, t[3], new LeaderSelectorListener() {
                    @Override
                    public void takeLeadership(CuratorFramework client) {
                        c.leading.set(true);
                        emit("{\"c\":" + q(c.name) + ",\"ev\":\"leader\",\"leads\":true}");
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            // leadership cancelled (an error state) or the selector closed
                        }
                        giveUpOf(c);
                    }

                    @Override
                    public void stateChanged(CuratorFramework client, ConnectionState state) {
                        // The client's own listener cancels leadership (see Client).
                    }
                });
                c.selector = s;
                s.autoRequeue();
                s.start();
                return "\"result\":\"electing\"";
            }
            case "close":
                if (c.selector != null) {
                    giveUpOf(c);
                    c.selector.close();
                }
                f.close();
                return "\"result\":\"closed\"";
            default:
                throw new IllegalArgumentException("command " + t[0]);
        }
    }

    /// Runs every kind of call the scripts make once, on a client of its own under a path of its
    /// own, so that class loading and the JIT's first compilations are over before a script's
    /// times are taken.
    static void warm(String connect, String proxied, BufferedReader in) throws Exception {
        CuratorFramework f = CuratorFrameworkFactory.builder()
            .connectString(connect)
            .sessionTimeoutMs(5000)
            .connectionTimeoutMs(5000)
            .retryPolicy(new RetryNTimes(3, 100))
            .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
            .build();
        f.getConnectionStateListenable().addListener((c, state) -> {});
        f.start();
        if (!f.blockUntilConnected(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("warm-up: no connection to " + connect);
        }
        String root = "/warm-up-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        f.create().forPath(root);
        Watcher ignore = e -> {};
        f.checkExists().usingWatcher(ignore).forPath(root + "/x");
        f.create().withMode(CreateMode.EPHEMERAL).forPath(root + "/x");
        f.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(root + "/n-");
        f.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(root + "/e-");
        try {
            f.create().forPath(root + "/x/child");
        } catch (KeeperException expected) {
        }
        for (String n : f.getChildren().forPath(root)) {
            f.checkExists().forPath(root + "/" + n);
        }
        CountDownLatch led = new CountDownLatch(1);
        LeaderSelector s = new LeaderSelector(f, root + "/election", new LeaderSelectorListener() {
            @Override
            public void takeLeadership(CuratorFramework client) throws Exception {
                led.countDown();
                Thread.sleep(Long.MAX_VALUE);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState state) {}
        });
        s.autoRequeue();
        s.start();
        if (!led.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("warm-up: no leadership");
        }
        s.close();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper second = new ZooKeeper(connect, 5000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        connected.await(20, TimeUnit.SECONDS);
        second.exists(root, false);
        second.close();
        if (proxied != null) {
            warmLoss(proxied, root, in);
        }
        f.delete().deletingChildrenIfNeeded().forPath(root);
        f.close();
    }

    /// The way from a cut to Curator's own LOST, a leader's cancellation and a new session, once,
    /// through a proxy that the suite cuts when told "warm-cut" and heals when told "warm-heal"
    /// (it answers "go" each time). The first time through it is several hundred milliseconds
    /// slower than later ones.
    static void warmLoss(String proxied, String root, BufferedReader in) throws Exception {
        java.util.concurrent.BlockingQueue<ConnectionState> states = new java.util.concurrent.LinkedBlockingQueue<>();
        CuratorFramework g = CuratorFrameworkFactory.builder()
            .connectString(proxied)
            .sessionTimeoutMs(1000)
            .connectionTimeoutMs(500)
            .retryPolicy(new RetryNTimes(0, 0))
            .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
            .build();
        CountDownLatch led = new CountDownLatch(1);
        LeaderSelector[] selector = new LeaderSelector[1];
        g.getConnectionStateListenable().addListener((c, state) -> {
            if (state != ConnectionState.LOST) {
                try {
                    c.getZookeeperClient().getZooKeeper().getSessionId();
                } catch (Exception ignored) {
                }
            }
            if (selector[0] != null && c.getConnectionStateErrorPolicy().isErrorState(state)) {
                selector[0].interruptLeadership();
            }
            states.add(state);
        });
        g.start();
        awaitState(states, ConnectionState.CONNECTED);
        selector[0] = new LeaderSelector(g, root + "/loss-election", new LeaderSelectorListener() {
            @Override
            public void takeLeadership(CuratorFramework client) throws Exception {
                led.countDown();
                Thread.sleep(Long.MAX_VALUE);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState state) {}
        });
        selector[0].autoRequeue();
        selector[0].start();
        if (!led.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("warm-up: no leadership through the proxy");
        }
        g.checkExists().forPath(root);
        emit("{\"ev\":\"warm-cut\"}");
        in.readLine();
        awaitState(states, ConnectionState.LOST);
        emit("{\"ev\":\"warm-heal\"}");
        in.readLine();
        awaitState(states, ConnectionState.RECONNECTED);
        selector[0].close();
        g.close();
    }

    static void awaitState(java.util.concurrent.BlockingQueue<ConnectionState> states, ConnectionState wanted) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            ConnectionState s = states.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (s == null) {
                throw new IllegalStateException("warm-up: no " + wanted);
            }
            if (s == wanted) {
                return;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        emit("{\"ev\":\"ready\"}");
        String line;
        while ((line = in.readLine()) != null) {
            String[] t = line.trim().split(" ");
            if (t[0].equals("quit")) {
                break;
            }
            if (t[0].equals("warm")) {
                try {
                    warm(t[1], t.length > 2 ? t[2] : null, in);
                    emit("{\"ev\":\"warm\"}");
                } catch (Exception e) {
                    emit("{\"ev\":\"warm\",\"failure\":" + q(String.valueOf(e)) + "}");
                }
                continue;
            }
            if (t[0].equals("open")) {
                CLIENTS.put(t[1], new Client(t[1], Integer.parseInt(t[2]), Integer.parseInt(t[3]), t[4]));
                continue;
            }
            String id = t[1];
            Client c = CLIENTS.get(t[2]);
            String body;
            try {
                body = run(t, c);
            } catch (KeeperException e) {
                body = "\"result\":\"error\",\"code\":" + q(error(e));
            } catch (Exception e) {
                body = "\"result\":\"failure\",\"message\":" + q(String.valueOf(e));
            }
            emit("{\"id\":" + id + ",\"c\":" + q(t[2]) + "," + body + "}");
        }
        for (Client c : CLIENTS.values()) {
            try {
                c.curator.close();
            } catch (Exception ignored) {
            }
        }
        System.exit(0);
    }
}
