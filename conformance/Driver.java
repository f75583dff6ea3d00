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
        LeaderSelector selector;
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
            });
            curator.start();
        }
    }

    static final Map<String, Client> CLIENTS = new HashMap<>();

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
                        emit("{\"c\":" + q(c.name) + ",\"ev\":\"leader\",\"leads\":true}");
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            // leadership cancelled (LOST) or the selector closed
                        }
                        emit("{\"c\":" + q(c.name) + ",\"ev\":\"leader\",\"leads\":false}");
                    }

                    @Override
                    public void stateChanged(CuratorFramework client, ConnectionState state) {
                        if (client.getConnectionStateErrorPolicy().isErrorState(state)) {
                            c.selector.interruptLeadership();
                        }
                    }
                });
                c.selector = s;
                s.autoRequeue();
                s.start();
                return "\"result\":\"electing\"";
            }
            case "close":
                if (c.selector != null) {
                    c.selector.close();
                }
                f.close();
                return "\"result\":\"closed\"";
            default:
                throw new IllegalArgumentException("command " + t[0]);
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
