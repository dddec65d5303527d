/*
 * Starts ONE OpenSearch node in this JVM, for the local stack and the
 * integration tests (deploy/local/stack.sh up opensearch). The server comes
 * from Maven Central jars (see pom.xml); org.codelibs.opensearch's
 * OpenSearchRunner does the embedding (module classes on the classpath,
 * Log4j set-up, environment), this class only fixes the settings:
 *
 *   cluster newsmon-local, one node, single-node discovery, HTTP and
 *   transport bound to loopback only, no security plugin (none is on the
 *   classpath), data/logs/config under the given home directory.
 *
 * Configuration comes from system properties, set by stack.sh:
 *   newsmon.opensearch.home     base directory (required), e.g. .var/opensearch
 *   newsmon.opensearch.port     HTTP port (required)
 *   newsmon.opensearch.host     bind address, default 127.0.0.1
 *   newsmon.opensearch.cluster  cluster name, default newsmon-local
 *
 * It runs until SIGTERM/SIGINT; the shutdown hook closes the node cleanly
 * (flushes shards, releases the data-directory lock) before the JVM exits.
 */

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class NewsmonOpenSearch {

    private NewsmonOpenSearch() {
    }

    public static void main(final String[] args) throws InterruptedException {
        final Path home = Paths.get(required("newsmon.opensearch.home")).toAbsolutePath();
        final int httpPort = Integer.parseInt(required("newsmon.opensearch.port"));
        final String host = System.getProperty("newsmon.opensearch.host", "127.0.0.1");
        final String clusterName = System.getProperty("newsmon.opensearch.cluster", "newsmon-local");

        final OpenSearchRunner runner = new OpenSearchRunner();
        // Use exactly the port we are given: the runner would otherwise probe
        // and silently move to the next free port.
        runner.setMaxHttpPort(-1);
        runner.onBuild((index, settings) -> {
            settings.put("node.name", clusterName + "-1");
            settings.put("network.host", host);
            settings.put("http.port", httpPort);
            settings.put("discovery.type", "single-node");
            // ingest: so that ingest pipelines work as on a real cluster.
            settings.putList("node.roles", "cluster_manager", "data", "ingest");
            // A developer disk that is 90% full must not turn indices read-only.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
        });

        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("newsmon-opensearch: shutting down");
            try {
                runner.close();
            } catch (final Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "newsmon-opensearch-shutdown"));

        try {
            runner.build(
                    "-basePath", home.toString(),
                    "-dataPath", home.resolve("data").toString(),
                    "-logsPath", home.resolve("logs").toString(),
                    "-clusterName", clusterName,
                    "-numOfNode", "1",
                    "-baseHttpPort", String.valueOf(httpPort - 1));
        } catch (final Throwable t) {
            // The runner's own main() swallows the cause; print it so the log
            // says why the node did not start (port taken, lock held, ...).
            System.err.println("newsmon-opensearch: failed to start the node");
            t.printStackTrace();
            System.exit(1);
        }
        System.out.println("newsmon-opensearch: node started, http://" + host + ":" + httpPort);
        // Node threads keep the JVM alive; wait here until the hook has run.
        closed.await();
    }

    private static String required(final String name) {
        final String value = System.getProperty(name);
        if (value == null || value.isEmpty()) {
            System.err.println("newsmon-opensearch: system property " + name + " is required");
            System.exit(2);
        }
        return value;
    }
}
