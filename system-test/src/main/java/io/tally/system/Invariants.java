package io.tally.system;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import tools.jackson.databind.JsonNode;

import io.tally.system.Cluster.Service;

/**
 * The invariants of DESIGN section 8 over every order of a run, checked through the public API, the
 * simulator's ledger, the services' own tables (outbox, dead letters) and the broker's queues.
 */
final class Invariants {

    /** An order as the driver placed it. */
    record Placed(String orderNo, String userId, String sku, int quantity) {
    }

    /** One invariant's verdict and its figure. */
    record Verdict(String invariant, boolean holds, String figure) {
    }

    private final Cluster cluster;

    private final PublicApi api;

    Invariants(Cluster cluster, PublicApi api) {
        this.cluster = cluster;
        this.api = api;
    }

    /** Checks everything; {@code reconcile} also runs reconciliation (invariant 5), which is an action. */
    List<Verdict> check(List<Placed> orders, Map<String, Integer> stockPutIn, boolean reconcile) {
        List<Verdict> verdicts = new ArrayList<>();
        Map<String, JsonNode> ledger = this.api.ledger();
        Map<String, Integer> states = new TreeMap<>();
        Map<String, Integer> sold = new HashMap<>();
        List<String> notFinal = new ArrayList<>();
        List<String> moneyWrong = new ArrayList<>();
        List<String> couponsWrong = new ArrayList<>();
        List<String> refundedTwice = new ArrayList<>();
        long kept = 0;
        long refunded = 0;
        int coupons = 0;
        Map<String, List<JsonNode>> userCoupons = new HashMap<>();
        Map<String, String> paymentStatus = new HashMap<>();
        for (Placed placed : orders) {
            JsonNode order = this.api.order(placed.orderNo());
            List<JsonNode> payments = this.api.payments(placed.orderNo());
            payments.forEach(p -> paymentStatus.put(p.get("paymentNo").asString(), p.get("status").asString()));
            String status = order.path("status").asString("UNKNOWN");
            states.merge(status, 1, Integer::sum);
            boolean paid = "PAID".equals(status);
            if (!paid && !"CANCELLED".equals(status)) {
                notFinal.add(placed.orderNo() + " " + status);
                continue;
            }
            long net = 0;
            for (JsonNode payment : payments) {
                JsonNode trade = ledger.get(payment.get("paymentNo").asString());
                if (trade != null) {
                    net += trade.get("captured").asLong() - trade.get("refunded").asLong();
                    refunded += trade.get("refunded").asLong();
                    if (trade.get("refunds").size() > 1) {
                        refundedTwice.add(payment.get("paymentNo").asString());
                    }
                }
            }
            long expected = paid ? order.get("amount").asLong() : 0;
            if (net != expected) {
                moneyWrong.add(placed.orderNo() + " " + status + " net " + net + " expected " + expected);
            }
            kept += net;
            long granted = 0;
            for (JsonNode coupon : userCoupons.computeIfAbsent(placed.userId(), user -> {
                List<JsonNode> list = new ArrayList<>();
                this.api.coupons(user).forEach(list::add);
                return list;
            })) {
                if (coupon.get("orderNo").asString().equals(placed.orderNo())) {
                    granted++;
                }
            }
            coupons += (int) granted;
            if (granted != (paid ? 1 : 0)) {
                couponsWrong.add(placed.orderNo() + " " + status + " coupons " + granted);
            }
            if (paid) {
                sold.merge(placed.sku(), placed.quantity(), Integer::sum);
            }
        }
        verdicts.add(new Verdict("1. every order PAID or CANCELLED", notFinal.isEmpty(),
                states + (notFinal.isEmpty() ? "" : " stuck: " + first(notFinal))));
        verdicts.add(new Verdict("2. captured - refunded = amount if PAID, 0 if CANCELLED", moneyWrong.isEmpty(),
                "money kept " + kept + ", refunded " + refunded + (moneyWrong.isEmpty() ? "" : "; wrong: " + first(moneyWrong))));
        List<String> stockWrong = new ArrayList<>();
        stockPutIn.forEach((sku, putIn) -> {
            JsonNode stock = this.api.stock(sku);
            int available = stock.get("available").asInt();
            int reserved = stock.get("reserved").asInt();
            int soldNow = stock.get("sold").asInt();
            if (available + reserved + soldNow != putIn || reserved != 0 || soldNow != sold.getOrDefault(sku, 0)) {
                stockWrong.add(sku + " available " + available + " reserved " + reserved + " sold " + soldNow
                        + " put in " + putIn + " paid quantities " + sold.getOrDefault(sku, 0));
            }
        });
        verdicts.add(new Verdict("3. stock balances, reserved 0, sold = paid quantities", stockWrong.isEmpty(),
                stockPutIn.size() + " SKUs, sold " + sold.values().stream().mapToInt(Integer::intValue).sum()
                        + (stockWrong.isEmpty() ? "" : "; wrong: " + first(stockWrong))));
        verdicts.add(new Verdict("4. one coupon per paid order, each refund issued once",
                couponsWrong.isEmpty() && refundedTwice.isEmpty(), coupons + " coupons"
                        + (couponsWrong.isEmpty() ? "" : "; wrong: " + first(couponsWrong))
                        + (refundedTwice.isEmpty() ? "" : "; refunded twice: " + first(refundedTwice))));
        verdicts.add(tampered(paymentStatus, ledger, reconcile));
        verdicts.add(messaging());
        return verdicts;
    }

    /** Invariant 5, from the payments' statuses read by {@link #check}. */
    private Verdict tampered(Map<String, String> paymentStatus, Map<String, JsonNode> ledger, boolean reconcile) {
        List<String> wrong = new ArrayList<>();
        int tampered = 0;
        int abnormal = 0;
        TreeSet<LocalDate> days = new TreeSet<>();
        for (JsonNode trade : ledger.values()) {
            if (!trade.get("paidAt").isNull()) {
                days.add(Instant.parse(trade.get("paidAt").asString()).atZone(ZoneOffset.UTC).toLocalDate());
            }
            String status = paymentStatus.get(trade.get("outTradeNo").asString());
            if (trade.get("callbackTampered").asBoolean() && trade.get("callbacksSent").asInt() > 0) {
                tampered++;
                if ("ABNORMAL".equals(status)) {
                    abnormal++;
                }
                if ("SUCCEEDED".equals(status)) {
                    wrong.add(trade.get("outTradeNo").asString() + " SUCCEEDED after a tampered callback");
                }
            }
        }
        int differences = 0;
        int expected = 0;
        if (reconcile) {
            for (LocalDate day : days) {
                JsonNode report = this.api.admin("POST", Service.PAYMENT, "/api/admin/reconciliations",
                        Map.of("date", day.toString())).body();
                for (JsonNode difference : report.path("differences")) {
                    differences++;
                    String trade = difference.get("outTradeNo").asString();
                    boolean injected = "STATUS_MISMATCH".equals(difference.get("kind").asString())
                            && "ABNORMAL".equals(paymentStatus.get(trade));
                    boolean repaired = "REPAIRED".equals(difference.get("status").asString());
                    if (injected || repaired) {
                        expected++;
                    }
                    else {
                        wrong.add("difference " + difference.get("kind").asString() + " " + trade + " "
                                + difference.get("status").asString());
                    }
                }
            }
        }
        return new Verdict("5. reconciliation finds only injected faults; tampered never SUCCEEDED", wrong.isEmpty(),
                tampered + " tampered callbacks delivered, " + abnormal + " payments ABNORMAL; "
                        + (reconcile ? differences + " differences over " + days + " (" + expected + " injected or repaired)"
                                : "reconciliation not run")
                        + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    private Verdict messaging() {
        if (this.cluster.attached()) {
            return messagingThroughApis();
        }
        List<String> wrong = new ArrayList<>();
        Map<String, Integer> deadLetters = new TreeMap<>();
        int unpublished = 0;
        for (Service service : List.of(Service.INVENTORY, Service.ORDER, Service.PAYMENT)) {
            try (Connection connection = this.cluster.connect(service); Statement statement = connection.createStatement()) {
                try (ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM tally_outbox WHERE status <> 'SENT'")) {
                    rs.next();
                    unpublished += rs.getInt(1);
                }
                try (ResultSet rs = statement.executeQuery(
                        "SELECT status, COUNT(*), SUM(reason IS NULL OR reason = '') FROM tally_dead_letter GROUP BY status")) {
                    while (rs.next()) {
                        deadLetters.merge(rs.getString(1), rs.getInt(2), Integer::sum);
                        if (rs.getInt(3) > 0) {
                            wrong.add(rs.getInt(3) + " dead letters without reason in " + service);
                        }
                        if ("SCHEDULED".equals(rs.getString(1))) {
                            wrong.add(rs.getInt(2) + " dead letters still scheduled in " + service);
                        }
                    }
                }
            }
            catch (SQLException ex) {
                wrong.add("cannot read " + service + ": " + ex.getMessage());
            }
        }
        if (unpublished > 0) {
            wrong.add(unpublished + " outbox rows not published");
        }
        int waiting = 0;
        try {
            Process list = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "name", "messages").start();
            String output = new String(list.getInputStream().readAllBytes());
            list.waitFor();
            for (String line : output.split("\\R")) {
                String[] cells = line.trim().split("\\s+");
                if (cells.length == 2 && cells[0].startsWith(this.cluster.prefix()) && cells[1].matches("\\d+")) {
                    int messages = Integer.parseInt(cells[1]);
                    if (messages > 0 && cells[0].endsWith(".dlq")) {
                        wrong.add(cells[0] + " holds " + messages + " unrecorded dead letters");
                    }
                    waiting += messages;
                }
            }
        }
        catch (IOException ex) {
            wrong.add("cannot list the broker's queues: " + ex.getMessage());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return new Verdict("6. outbox published; dead letters recorded, re-driven or parked with reason",
                wrong.isEmpty(), "outbox unpublished " + unpublished + ", messages waiting in queues " + waiting
                        + ", dead letters " + deadLetters + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    /** With docker compose: the outbox gauges and the dead-letter API of each service. */
    private Verdict messagingThroughApis() {
        List<String> wrong = new ArrayList<>();
        Map<String, Integer> deadLetters = new TreeMap<>();
        long unpublished = 0;
        for (Service service : List.of(Service.INVENTORY, Service.ORDER, Service.PAYMENT)) {
            for (String status : List.of("PENDING", "DEAD")) {
                JsonNode metric = this.api.admin("GET", service, "/actuator/metrics/tally.outbox.rows?tag=status:" + status, null).body();
                unpublished += (long) metric.path("measurements").path(0).path("value").asDouble(0);
            }
            for (JsonNode letter : this.api.admin("GET", service, "/api/admin/dead-letters?limit=1000", null).body()) {
                deadLetters.merge(letter.get("status").asString(), 1, Integer::sum);
                if ("SCHEDULED".equals(letter.get("status").asString())) {
                    wrong.add(letter.get("id").asString() + " still scheduled in " + service);
                }
            }
        }
        if (unpublished > 0) {
            wrong.add(unpublished + " outbox rows not published");
        }
        return new Verdict("6. outbox published; dead letters recorded, re-driven or parked with reason",
                wrong.isEmpty(), "outbox unpublished " + unpublished + ", dead letters " + deadLetters
                        + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    private static String first(List<String> items) {
        return items.size() <= 3 ? items.toString() : items.subList(0, 3) + " and " + (items.size() - 3) + " more";
    }
}
