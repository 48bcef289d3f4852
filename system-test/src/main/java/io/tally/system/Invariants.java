package io.tally.system;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The invariants of the design (docs/design.md, "Invariants") over a set of orders, checked through the public
 * API, the simulator's ledger, the services' own tables (outbox, dead letters, the payment service's exchange
 * log and stored callbacks) and the broker's queues. One checker serves the flow tests (one JVM), the system
 * test and the soak (processes) and the demo.
 * <p>
 * A read that gets no usable answer breaks the verdict that needed it ("cannot read ..."): a service that is
 * down never looks like a service with nothing to show.
 */
public final class Invariants {

    /** An order as a client placed it. */
    public record Placed(String orderNo, String userId, Map<String, Integer> items) {

        public Placed(String orderNo, String userId, String sku, int quantity) {
            this(orderNo, userId, Map.of(sku, quantity));
        }
    }

    /** One invariant's verdict and its figure. */
    public record Verdict(String invariant, boolean holds, String figure) {

        @Override
        public String toString() {
            return (this.holds ? "HOLDS  " : "BROKEN ") + this.invariant + ": " + this.figure;
        }
    }

    /**
     * What one check saw and concluded.
     *
     * @param verdicts one per invariant, in the design's order
     * @param orders every checked order as read, by order number (absent when it could not be read)
     * @param payments each order's payments as read, by order number
     * @param ledger the channel's ledger, by trade number
     * @param callbackOutcomes what payment-service recorded for each stored callback, by trade number (empty when
     * its tables cannot be read)
     */
    public record Check(List<Verdict> verdicts, Map<String, JsonNode> orders, Map<String, List<JsonNode>> payments,
            Map<String, JsonNode> ledger, Map<String, List<String>> callbackOutcomes) {

        public boolean holds() {
            return this.verdicts.stream().allMatch(Verdict::holds);
        }

        /** The broken verdicts, for an assertion's message. */
        public List<Verdict> broken() {
            return this.verdicts.stream().filter(v -> !v.holds()).toList();
        }

        /** Counts the orders in each status. */
        public Map<String, Integer> states() {
            Map<String, Integer> states = new TreeMap<>();
            this.orders.values().forEach(o -> states.merge(o.path("status").asString("UNKNOWN"), 1, Integer::sum));
            return states;
        }

        public String status(String orderNo) {
            JsonNode order = this.orders.get(orderNo);
            return order == null ? "UNREAD" : order.path("status").asString("UNKNOWN");
        }

        /** Money the channel captured for the order, summed over its payments. */
        public long captured(String orderNo) {
            long captured = 0;
            for (JsonNode payment : this.payments.getOrDefault(orderNo, List.of())) {
                JsonNode trade = this.ledger.get(payment.get("paymentNo").asString());
                captured += trade == null ? 0 : trade.get("captured").asLong();
            }
            return captured;
        }
    }

    /** Which of the system's rows the outbox check looks at. */
    public enum Scope {
        /** The whole system belongs to the run (system test, soak, demo): every row of every table. */
        WHOLE_SYSTEM,
        /** The system is shared with other tests (flow tests): the outbox rows of the checked orders only. */
        THESE_ORDERS
    }

    static final String DEAD_LETTERS = """
            SELECT status, COUNT(*), SUM(reason IS NULL OR reason = '') FROM tally_dead_letter GROUP BY status""";

    /**
     * Every refund request payment-service sent, whatever the channel: the simulator's {@code POST /gateway/refunds},
     * WeChat Pay's {@code POST /v3/refund/domestic/refunds}, Alipay's {@code alipay.trade.refund}.
     */
    static final String REFUND_REQUESTS = """
            SELECT out_trade_no, refund_no, response_status, response_body, error, endpoint FROM channel_exchange
            WHERE direction = 'OUTBOUND' AND (endpoint = '/gateway/refunds'
                OR (method = 'POST' AND endpoint = '/v3/refund/domestic/refunds')
                OR endpoint LIKE '%?method=alipay.trade.refund')""";

    static final String CALLBACK_OUTCOMES = "SELECT out_trade_no, outcome FROM channel_callback";

    private final Endpoints endpoints;

    private final PublicApi api;

    private final Scope scope;

    public Invariants(Endpoints endpoints, PublicApi api, Scope scope) {
        this.endpoints = endpoints;
        this.api = api;
        this.scope = scope;
    }

    /**
     * Checks every invariant over the orders.
     * @param stockPutIn what was put into each SKU the orders use
     * @param reconcile whether to also run reconciliation of every day with captures (invariant 5), which is an
     * action: run it once, at the end
     */
    public Check check(Collection<Placed> orders, Map<String, Integer> stockPutIn, boolean reconcile) {
        Map<String, JsonNode> read = new ConcurrentHashMap<>();
        Map<String, List<JsonNode>> payments = new ConcurrentHashMap<>();
        Map<String, List<JsonNode>> coupons = new ConcurrentHashMap<>();
        List<String> unreadable = java.util.Collections.synchronizedList(new ArrayList<>());
        readAll(orders, read, payments, coupons, unreadable);
        Map<String, JsonNode> ledger;
        try {
            ledger = this.api.ledger();
        }
        catch (PublicApi.Unreadable ex) {
            ledger = Map.of();
            unreadable.add(ex.getMessage());
        }
        Tables tables = tables();
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(finalStates(orders, read, unreadable));
        verdicts.add(money(orders, read, payments, ledger, unreadable));
        verdicts.add(stock(orders, read, stockPutIn));
        verdicts.add(couponsAndRefunds(orders, read, payments, coupons, ledger, tables, unreadable));
        verdicts.add(tampered(payments, ledger, tables, reconcile));
        verdicts.add(messaging(orders));
        return new Check(verdicts, Map.copyOf(read), Map.copyOf(payments), Map.copyOf(ledger), tables.callbackOutcomes);
    }

    /**
     * Reads every order, its payments and its user's coupons, on a few threads. Once a service has not answered
     * one read, the check stops asking it (each read would wait its whole budget again).
     */
    private void readAll(Collection<Placed> orders, Map<String, JsonNode> read, Map<String, List<JsonNode>> payments,
            Map<String, List<JsonNode>> coupons, List<String> unreadable) {
        Set<Service> down = ConcurrentHashMap.newKeySet();
        try (ExecutorService readers = Executors.newFixedThreadPool(8)) {
            List<Future<?>> reads = new ArrayList<>();
            for (Placed placed : orders) {
                reads.add(readers.submit(() -> {
                    if (down.contains(Service.ORDER) || down.contains(Service.PAYMENT)) {
                        unreadable.add("not read: " + placed.orderNo() + " (" + down + " did not answer)");
                        return;
                    }
                    try {
                        read.put(placed.orderNo(), this.api.order(placed.orderNo()));
                        payments.put(placed.orderNo(), this.api.payments(placed.orderNo()));
                        coupons.computeIfAbsent(placed.userId(), user -> {
                            List<JsonNode> list = new ArrayList<>();
                            this.api.coupons(user).forEach(list::add);
                            return list;
                        });
                    }
                    catch (PublicApi.Unreadable ex) {
                        down.add(ex.service());
                        unreadable.add(ex.getMessage());
                    }
                }));
            }
            for (Future<?> future : reads) {
                future.get();
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException(ex.getCause());
        }
    }

    private Verdict finalStates(Collection<Placed> orders, Map<String, JsonNode> read, List<String> unreadable) {
        Map<String, Integer> states = new TreeMap<>();
        List<String> notFinal = new ArrayList<>();
        for (Placed placed : orders) {
            JsonNode order = read.get(placed.orderNo());
            String status = order == null ? "UNREAD" : order.path("status").asString("UNKNOWN");
            states.merge(status, 1, Integer::sum);
            if (!status.equals("PAID") && !status.equals("CANCELLED")) {
                notFinal.add(placed.orderNo() + " " + status);
            }
        }
        List<String> wrong = new ArrayList<>(notFinal);
        if (!unreadable.isEmpty()) {
            wrong.add(0, unreadable.size() + " reads failed, first: " + unreadable.get(0));
        }
        return new Verdict("1. every order PAID or CANCELLED", wrong.isEmpty(),
                states + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    private Verdict money(Collection<Placed> orders, Map<String, JsonNode> read, Map<String, List<JsonNode>> payments,
            Map<String, JsonNode> ledger, List<String> unreadable) {
        List<String> wrong = new ArrayList<>();
        long kept = 0;
        long refunded = 0;
        if (ledger.isEmpty() && !unreadable.isEmpty()) {
            wrong.add("the channel's ledger could not be read");
        }
        for (Placed placed : orders) {
            JsonNode order = read.get(placed.orderNo());
            List<JsonNode> ofOrder = payments.get(placed.orderNo());
            if (order == null || ofOrder == null) {
                wrong.add(placed.orderNo() + " not read");
                continue;
            }
            String status = order.path("status").asString();
            long net = 0;
            for (JsonNode payment : ofOrder) {
                JsonNode trade = ledger.get(payment.get("paymentNo").asString());
                if (trade != null) {
                    net += trade.get("captured").asLong() - trade.get("refunded").asLong();
                    refunded += trade.get("refunded").asLong();
                }
            }
            long expected = "PAID".equals(status) ? order.get("amount").asLong() : 0;
            if (net != expected) {
                wrong.add(placed.orderNo() + " " + status + " net " + net + " expected " + expected);
            }
            kept += net;
        }
        return new Verdict("2. captured - refunded = amount if PAID, 0 if CANCELLED", wrong.isEmpty(),
                "money kept " + kept + ", refunded " + refunded + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    private Verdict stock(Collection<Placed> orders, Map<String, JsonNode> read, Map<String, Integer> stockPutIn) {
        Map<String, Integer> sold = new HashMap<>();
        for (Placed placed : orders) {
            JsonNode order = read.get(placed.orderNo());
            if (order != null && "PAID".equals(order.path("status").asString())) {
                placed.items().forEach((sku, quantity) -> sold.merge(sku, quantity, Integer::sum));
            }
        }
        List<String> wrong = new ArrayList<>();
        stockPutIn.forEach((sku, putIn) -> {
            try {
                JsonNode stock = this.api.stock(sku);
                int available = stock.get("available").asInt();
                int reserved = stock.get("reserved").asInt();
                int soldNow = stock.get("sold").asInt();
                if (available + reserved + soldNow != putIn || reserved != 0 || soldNow != sold.getOrDefault(sku, 0)) {
                    wrong.add(sku + " available " + available + " reserved " + reserved + " sold " + soldNow + " put in "
                            + putIn + " paid quantities " + sold.getOrDefault(sku, 0));
                }
            }
            catch (PublicApi.Unreadable ex) {
                wrong.add(ex.getMessage());
            }
        });
        return new Verdict("3. stock balances, reserved 0, sold = paid quantities", wrong.isEmpty(),
                stockPutIn.size() + " SKUs, sold " + sold.values().stream().mapToInt(Integer::intValue).sum()
                        + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    /**
     * Invariant 4. Refunds are counted twice: in the channel's ledger (at most one per trade), and in what
     * payment-service itself sent (its exchange log): every refund request of a payment carries the one refund
     * number derived from it, every successful answer is the same refund, no refund was asked for the payment
     * that paid an order, and we got a successful answer exactly for the trades the channel refunded.
     */
    private Verdict couponsAndRefunds(Collection<Placed> orders, Map<String, JsonNode> read,
            Map<String, List<JsonNode>> payments, Map<String, List<JsonNode>> coupons, Map<String, JsonNode> ledger,
            Tables tables, List<String> unreadable) {
        List<String> wrong = new ArrayList<>();
        int granted = 0;
        int refundedTrades = 0;
        Set<String> ourTrades = new HashSet<>();
        for (Placed placed : orders) {
            JsonNode order = read.get(placed.orderNo());
            List<JsonNode> userCoupons = coupons.get(placed.userId());
            if (order == null || userCoupons == null || !payments.containsKey(placed.orderNo())) {
                continue; // reported by invariant 1
            }
            boolean paid = "PAID".equals(order.path("status").asString());
            long forOrder = userCoupons.stream().filter(c -> c.get("orderNo").asString().equals(placed.orderNo())).count();
            granted += (int) forOrder;
            if (forOrder != (paid ? 1 : 0)) {
                wrong.add(placed.orderNo() + " " + order.path("status").asString() + " has " + forOrder + " coupons");
            }
            for (JsonNode payment : payments.get(placed.orderNo())) {
                String paymentNo = payment.get("paymentNo").asString();
                ourTrades.add(paymentNo);
                JsonNode trade = ledger.get(paymentNo);
                int atChannel = trade == null ? 0 : trade.get("refunds").size();
                if (atChannel > 1) {
                    wrong.add(paymentNo + " refunded " + atChannel + " times at the channel");
                }
                refundedTrades += atChannel > 0 ? 1 : 0;
                if (tables.refunds == null) {
                    continue;
                }
                List<RefundRequest> sent = tables.refunds.getOrDefault(paymentNo, List.of());
                Set<String> numbers = new TreeSet<>();
                Set<String> answers = new HashSet<>();
                for (RefundRequest request : sent) {
                    numbers.add(request.refundNo());
                    if (request.succeeded()) {
                        answers.add(request.refund());
                    }
                }
                if (!numbers.isEmpty() && !numbers.equals(Set.of(paymentNo + "-R1"))) {
                    wrong.add(paymentNo + " refund requests with numbers " + numbers);
                }
                if (answers.size() > 1) {
                    wrong.add(paymentNo + " got " + answers.size() + " different refunds from its requests");
                }
                if ((answers.isEmpty() ? 0 : 1) != (atChannel > 0 ? 1 : 0)) {
                    wrong.add(paymentNo + ": we got a refund " + (answers.isEmpty() ? "never" : "confirmed")
                            + ", the channel refunded it " + atChannel + " times");
                }
                if (paid && paymentNo.equals(order.path("paymentNo").asString()) && !sent.isEmpty()) {
                    wrong.add(paymentNo + " paid order " + placed.orderNo() + ", yet " + sent.size() + " refund requests were sent");
                }
            }
        }
        String ours;
        if (tables.refunds == null) {
            ours = tables.unreadable != null ? "; our refund requests: " + tables.unreadable : "";
            if (tables.unreadable != null) {
                wrong.add("cannot read payment-service's exchange log: " + tables.unreadable);
            }
        }
        else {
            long requests = tables.refunds.entrySet().stream().filter(e -> ourTrades.contains(e.getKey()))
                .mapToLong(e -> e.getValue().size()).sum();
            ours = "; payment-service sent " + requests + " refund requests for " + refundedTrades + " refunded trades";
        }
        return new Verdict("4. one coupon per paid order, each refund issued once", wrong.isEmpty(),
                granted + " coupons, " + refundedTrades + " trades refunded at the channel" + ours
                        + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    /**
     * Invariant 5: every tampered callback that reached payment-service was recognised (its payment ABNORMAL,
     * or the callback recorded as abnormal for a payment already settled) and never made a payment SUCCEEDED; and
     * reconciliation of every day with captures finds only what was injected, each difference matched to the
     * fault that caused it.
     */
    private Verdict tampered(Map<String, List<JsonNode>> payments, Map<String, JsonNode> ledger, Tables tables,
            boolean reconcile) {
        Map<String, String> paymentStatus = new HashMap<>();
        payments.values().forEach(list -> list.forEach(p -> paymentStatus.put(p.get("paymentNo").asString(),
                p.get("status").asString())));
        List<String> wrong = new ArrayList<>();
        int tampered = 0;
        int abnormal = 0;
        int recognisedLate = 0;
        TreeSet<LocalDate> days = new TreeSet<>();
        for (JsonNode trade : ledger.values()) {
            String tradeNo = trade.get("outTradeNo").asString();
            if (!paymentStatus.containsKey(tradeNo)) {
                continue; // not a trade of these orders
            }
            if (!trade.get("paidAt").isNull()) {
                days.add(Instant.parse(trade.get("paidAt").asString()).atZone(ZoneOffset.UTC).toLocalDate());
            }
            String status = paymentStatus.get(tradeNo);
            if (trade.get("callbackTampered").asBoolean() && trade.get("callbacksSent").asInt() > 0) {
                tampered++;
                if ("ABNORMAL".equals(status)) {
                    abnormal++;
                }
                else if (tables.callbackOutcomes.getOrDefault(tradeNo, List.of()).stream().anyMatch(o -> o.startsWith("abnormal"))) {
                    recognisedLate++;
                }
                else if (tables.refunds != null) {
                    wrong.add(tradeNo + " got a tampered callback and is " + status + ", the callback not recognised");
                }
                if ("SUCCEEDED".equals(status)) {
                    wrong.add(tradeNo + " SUCCEEDED after a tampered callback");
                }
            }
        }
        int differences = 0;
        int injected = 0;
        if (reconcile) {
            for (LocalDate day : days) {
                PublicApi.Answer run = this.api.admin("POST", Service.PAYMENT, "/api/admin/reconciliations",
                        Map.of("date", day.toString()));
                if (run.status() != 201 || !"FINISHED".equals(run.body().path("run").path("status").asString())) {
                    wrong.add("reconciliation of " + day + " did not finish: " + run);
                    continue;
                }
                for (JsonNode difference : run.body().path("differences")) {
                    differences++;
                    String cause = cause(difference, paymentStatus, ledger, tables);
                    if (cause != null) {
                        injected++;
                    }
                    else {
                        wrong.add("difference " + difference.get("kind").asString() + " "
                                + difference.get("outTradeNo").asString() + " " + difference.get("status").asString()
                                + " matches no injected fault");
                    }
                }
            }
        }
        return new Verdict("5. reconciliation finds only injected faults; tampered never SUCCEEDED", wrong.isEmpty(),
                tampered + " tampered callbacks delivered: " + abnormal + " payments ABNORMAL, " + recognisedLate
                        + " recognised for a payment already settled; "
                        + (reconcile ? differences + " differences over " + days + ", " + injected + " matched to their fault"
                                : "reconciliation not run")
                        + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    /** The injected fault a reconciliation difference comes from, or {@code null} when none explains it. */
    private static @Nullable String cause(JsonNode difference, Map<String, String> paymentStatus,
            Map<String, JsonNode> ledger, Tables tables) {
        String kind = difference.get("kind").asString();
        String status = difference.get("status").asString();
        String tradeNo = difference.get("outTradeNo").asString();
        JsonNode trade = ledger.get(tradeNo);
        if (trade == null) {
            return null;
        }
        if (kind.equals("STATUS_MISMATCH") && status.equals("OPEN") && trade.get("callbackTampered").asBoolean()
                && "ABNORMAL".equals(paymentStatus.get(tradeNo))) {
            return "tampered callback";
        }
        if (kind.equals("MISSING_LOCAL") && status.equals("REPAIRED")
                && (trade.get("callbackWithheld").asBoolean() || trade.get("callbacksSent").asInt() == 0)) {
            return "callback dropped";
        }
        if (kind.equals("REFUND_MISMATCH") && status.equals("REPAIRED") && tables.refunds != null
                && tables.refunds.getOrDefault(tradeNo, List.of()).stream().anyMatch(r -> !r.succeeded())) {
            return "refund request failed";
        }
        return null;
    }

    /** Invariant 6: nothing left unpublished, no dead letter unrecorded, each recorded one re-driven or parked with its reason. */
    private Verdict messaging(Collection<Placed> orders) {
        List<String> wrong = new ArrayList<>();
        Map<String, Integer> deadLetters = new TreeMap<>();
        long unpublished = 0;
        boolean tablesRead = true;
        for (Service service : Service.withState()) {
            try (Connection connection = this.endpoints.connect(service)) {
                if (connection == null) {
                    tablesRead = false;
                    break;
                }
                unpublished += unpublished(connection, orders);
                try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(DEAD_LETTERS)) {
                    while (rs.next()) {
                        deadLetters.merge(rs.getString(1), rs.getInt(2), Integer::sum);
                        if (rs.getInt(3) > 0) {
                            wrong.add(rs.getInt(3) + " dead letters without reason in " + service.module());
                        }
                        if ("SCHEDULED".equals(rs.getString(1))) {
                            wrong.add(rs.getInt(2) + " dead letters still scheduled in " + service.module());
                        }
                    }
                }
            }
            catch (SQLException ex) {
                wrong.add("cannot read the tables of " + service.module() + ": " + ex.getMessage());
            }
        }
        if (!tablesRead) {
            return messagingThroughApis();
        }
        if (unpublished > 0) {
            wrong.add(unpublished + " outbox rows not published");
        }
        long waiting = 0;
        try {
            Map<String, Long> depths = this.endpoints.queueDepths();
            if (depths == null) {
                wrong.add("the broker's queues cannot be listed here");
            }
            else {
                for (Map.Entry<String, Long> queue : depths.entrySet()) {
                    if (queue.getValue() > 0 && queue.getKey().endsWith(".dlq")) {
                        wrong.add(queue.getKey() + " holds " + queue.getValue() + " unrecorded dead letters");
                    }
                    waiting += queue.getValue();
                }
            }
        }
        catch (RuntimeException ex) {
            wrong.add("cannot list the broker's queues: " + ex.getMessage());
        }
        return new Verdict("6. outbox published; dead letters recorded, re-driven or parked with reason",
                wrong.isEmpty(), "outbox unpublished " + unpublished + ", messages waiting in queues " + waiting
                        + ", dead letters " + deadLetters + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    private long unpublished(Connection connection, Collection<Placed> orders) throws SQLException {
        if (this.scope == Scope.WHOLE_SYSTEM) {
            try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM tally_outbox WHERE status <> 'SENT'")) {
                rs.next();
                return rs.getLong(1);
            }
        }
        long count = 0;
        List<String> orderNos = orders.stream().map(Placed::orderNo).toList();
        for (int from = 0; from < orderNos.size(); from += 500) {
            List<String> batch = orderNos.subList(from, Math.min(orderNos.size(), from + 500));
            String sql = "SELECT COUNT(*) FROM tally_outbox WHERE status <> 'SENT' AND aggregate_id IN ("
                    + String.join(",", java.util.Collections.nCopies(batch.size(), "?")) + ")";
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < batch.size(); i++) {
                    statement.setString(i + 1, batch.get(i));
                }
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    count += rs.getLong(1);
                }
            }
        }
        return count;
    }

    /** With docker compose: the outbox gauges and the dead-letter API of each service. */
    private Verdict messagingThroughApis() {
        List<String> wrong = new ArrayList<>();
        Map<String, Integer> deadLetters = new TreeMap<>();
        long unpublished = 0;
        for (Service service : Service.withState()) {
            try {
                for (String status : List.of("PENDING", "DEAD")) {
                    JsonNode metric = this.api.adminRead(service, "/actuator/metrics/tally.outbox.rows?tag=status:" + status);
                    unpublished += (long) metric.path("measurements").path(0).path("value").asDouble(0);
                }
                for (JsonNode letter : this.api.adminRead(service, "/api/admin/dead-letters?limit=1000")) {
                    deadLetters.merge(letter.get("status").asString(), 1, Integer::sum);
                    if ("SCHEDULED".equals(letter.get("status").asString())) {
                        wrong.add(letter.get("id").asString() + " still scheduled in " + service.module());
                    }
                }
            }
            catch (PublicApi.Unreadable ex) {
                wrong.add(ex.getMessage());
            }
        }
        if (unpublished > 0) {
            wrong.add(unpublished + " outbox rows not published");
        }
        return new Verdict("6. outbox published; dead letters recorded, re-driven or parked with reason",
                wrong.isEmpty(), "outbox unpublished " + unpublished + ", dead letters " + deadLetters
                        + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong)));
    }

    /** A refund request payment-service sent, from its exchange log. */
    record RefundRequest(String refundNo, boolean succeeded, String refund) {
    }

    /** What the checks read from payment-service's own tables: its refund requests and stored callbacks. */
    private static final class Tables {

        @Nullable Map<String, List<RefundRequest>> refunds;

        Map<String, List<String>> callbackOutcomes = new HashMap<>();

        @Nullable String unreadable;
    }

    private Tables tables() {
        Tables tables = new Tables();
        try (Connection connection = this.endpoints.connect(Service.PAYMENT)) {
            if (connection == null) {
                return tables;
            }
            Map<String, List<RefundRequest>> refunds = new HashMap<>();
            try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(REFUND_REQUESTS)) {
                while (rs.next()) {
                    int status = rs.getInt(3);
                    boolean answered = !rs.wasNull() && status >= 200 && status < 300 && rs.getString(5) == null;
                    String identity = answered ? refundIdentity(rs.getString(6), rs.getString(2), rs.getString(4)) : null;
                    refunds.computeIfAbsent(rs.getString(1), t -> new ArrayList<>())
                        .add(new RefundRequest(rs.getString(2), identity != null, identity != null ? identity : ""));
                }
            }
            try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(CALLBACK_OUTCOMES)) {
                while (rs.next()) {
                    tables.callbackOutcomes.computeIfAbsent(rs.getString(1), t -> new ArrayList<>())
                        .add(String.valueOf(rs.getString(2)));
                }
            }
            tables.refunds = refunds;
        }
        catch (SQLException ex) {
            tables.unreadable = ex.getMessage();
        }
        return tables;
    }

    /**
     * The refund a channel's answer confirms: its number, trade, amount and time, whatever the order of the fields;
     * {@code null} when the answer confirms none (Alipay answers a refusal with HTTP 200 and a code other than
     * 10000; WeChat Pay answers a refund still in progress as {@code PROCESSING}).
     */
    private @Nullable String refundIdentity(String endpoint, @Nullable String refundNo, @Nullable String body) {
        if (body == null) {
            return null;
        }
        try {
            JsonNode answer = this.api.json.readTree(body);
            if (endpoint.contains("method=alipay.trade.refund")) {
                JsonNode refund = answer.path("alipay_trade_refund_response");
                return "10000".equals(refund.path("code").asString()) ? refundNo + "/" + refund.path("out_trade_no").asString()
                        + "/" + refund.path("refund_fee").asString() + "/" + refund.path("gmt_refund_pay").asString() : null;
            }
            if (endpoint.startsWith("/v3/")) {
                return "SUCCESS".equals(answer.path("status").asString()) ? answer.path("out_refund_no").asString() + "/"
                        + answer.path("out_trade_no").asString() + "/" + answer.path("amount").path("refund").asString()
                        + "/" + answer.path("success_time").asString() : null;
            }
            return answer.path("refundNo").asString() + "/" + answer.path("outTradeNo").asString() + "/"
                    + answer.path("amount").asString() + "/" + answer.path("refundedAt").asString();
        }
        catch (tools.jackson.core.JacksonException ex) {
            return body;
        }
    }

    static String first(List<String> items) {
        return items.size() <= 3 ? items.toString() : items.subList(0, 3) + " and " + (items.size() - 3) + " more";
    }
}
