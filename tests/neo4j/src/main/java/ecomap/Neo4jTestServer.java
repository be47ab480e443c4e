package ecomap;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

/**
 * A Neo4j Community server with only its Bolt connector, on 127.0.0.1.
 *
 * <p>Usage: {@code Neo4jTestServer DIR PORT}. The password is read from {@code DIR/password}
 * (written by scripts/neo4j-server, mode 0600) and set on the {@code neo4j} user; once the
 * server answers, {@code DIR/ready} is written with the port. SIGTERM shuts it down cleanly.
 */
public final class Neo4jTestServer {
    private Neo4jTestServer() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = Files.readString(dir.resolve("password"), StandardCharsets.UTF_8).trim();
        Files.deleteIfExists(dir.resolve("ready"));

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dir.resolve("data"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // tests try wrong passwords on purpose: no lock-out of the user for them
                .setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
                .setConfig(GraphDatabaseSettings.pagecache_memory,
                        ByteUnit.mebiBytes(Long.getLong("ecomap.pagecache.mb", 256L)))
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(30))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "neo4j-shutdown"));

        try {
            // the generated password, with no change demanded at first log-in (kept when the data is reused)
            try {
                dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
            } catch (QueryExecutionException e) {
                if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                    throw e;
                }
            }
            dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1); // the shutdown hook stops the server
        }

        Path tmp = dir.resolve("ready.tmp");
        Files.writeString(tmp, Integer.toString(port), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("ready"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("Neo4j serving Bolt on 127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }
}
