package io.tally.payment.reconciliation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;

import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;

import org.springframework.test.context.DynamicPropertyRegistry;

import io.tally.testing.ServiceTestProperties;

/**
 * A channel that serves statements only, on a free loopback port, for the reconciliation tests: what each day's
 * statement holds is the test's to say.
 */
final class StatementServer {

    /** The lines of a day's statement (CSV, without header and total), or {@code null} to answer 503. */
    interface Statements {

        @Nullable List<String> lines(LocalDate day);
    }

    private StatementServer() {
    }

    /** Starts the server; its header and closing line are computed from the lines. */
    static HttpServer start(Statements statements) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/gateway/statements/", exchange -> {
                LocalDate day = LocalDate.parse(exchange.getRequestURI().getPath().substring("/gateway/statements/".length()));
                List<String> lines = statements.lines(day);
                if (lines == null) {
                    exchange.sendResponseHeaders(503, -1);
                    exchange.close();
                    return;
                }
                long payments = 0;
                long refunds = 0;
                StringBuilder csv = new StringBuilder("# statement,merchant=M100,date=" + day
                        + "\ntype,out_trade_no,trade_no,refund_no,amount,time\n");
                for (String line : lines) {
                    long amount = Long.parseLong(line.split(",")[4]);
                    if (line.startsWith("PAYMENT,")) {
                        payments += amount;
                    }
                    else {
                        refunds += amount;
                    }
                    csv.append(line).append('\n');
                }
                csv.append("# total,lines=").append(lines.size()).append(",payments=").append(payments)
                    .append(",refunds=").append(refunds).append('\n');
                byte[] body = csv.toString().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return server;
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The test infrastructure, the test keys, and this server as the channel. */
    static void register(DynamicPropertyRegistry registry, HttpServer server) {
        ServiceTestProperties.register(registry);
        registry.add("payment.channel.merchant-private-key", () -> "file:../config/test-keys/merchant-private.pem");
        registry.add("payment.channel.channel-public-key", () -> "file:../config/test-keys/channel-public.pem");
        registry.add("payment.channel.base-url", () -> "http://127.0.0.1:" + server.getAddress().getPort());
    }
}
