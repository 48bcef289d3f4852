package io.tally.system;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * With several instances of each service, the work that must happen once happened once: counted in the databases
 * (what was done, and whether anything was done twice) and in each instance's log (who did it, to show that the
 * instances shared it). Purges are left out: deleting what is past its retention twice deletes nothing the second
 * time.
 */
final class Singletons {

    private static final Pattern TIMEOUTS = Pattern.compile("Cancelled (\\d+) unpaid orders whose time had come");

    /** {@code tally.dead-letters.max-redrives}, which the run leaves at its default. */
    private static final int MAX_REDRIVES = 10;

    private final Cluster cluster;

    Singletons(Cluster cluster) {
        this.cluster = cluster;
    }

    Invariants.Verdict verdict() {
        String title = "16. with " + this.cluster.settings().instances() + " instances of each service, scheduled work "
                + "ran once: timeouts, queries, closes, refunds, re-drives, daily reconciliation";
        List<String> wrong = new ArrayList<>();
        List<String> figures = new ArrayList<>();
        try (Connection order = this.cluster.connect(Service.ORDER);
                Connection payment = this.cluster.connect(Service.PAYMENT)) {
            long cancelled = count(order, "SELECT COUNT(*) FROM tally_outbox WHERE event_type = 'order.cancelled'");
            long cancelledTwice = count(order, "SELECT COUNT(*) FROM (SELECT aggregate_id FROM tally_outbox "
                    + "WHERE event_type = 'order.cancelled' GROUP BY aggregate_id HAVING COUNT(*) > 1) twice");
            Map<String, Long> timeouts = fromLogs(Service.ORDER, TIMEOUTS, true);
            figures.add("timeouts by instance " + timeouts + ", order.cancelled events " + cancelled
                    + ", orders cancelled twice " + cancelledTwice);
            if (cancelledTwice > 0) {
                wrong.add(cancelledTwice + " orders cancelled twice");
            }
            // how the instances shared the work is reported, not required: an instance killed and slow to come back
            // may find every due order taken by the other (a CI-size run saw 0 and 31)
            long queries = count(payment, "SELECT COUNT(*) FROM channel_exchange WHERE direction = 'OUTBOUND' AND method = 'GET' "
                    + "AND endpoint LIKE '/gateway/trades/%'");
            // a close may query its trade at once (to learn what it was closed against): not a second query worker
            long queriedAtOnce = atOnce(payment, "a.method = 'GET' AND a.endpoint LIKE '/gateway/trades/%' AND NOT EXISTS "
                    + "(SELECT 1 FROM channel_exchange c WHERE c.out_trade_no = a.out_trade_no AND c.endpoint LIKE '%/close' "
                    + "AND c.started_at BETWEEN a.started_at - INTERVAL 1 SECOND AND b.started_at + INTERVAL 1 SECOND)",
                    "out_trade_no");
            figures.add("queries by instance " + fromLogs(Service.PAYMENT, Pattern.compile("Query (\\d+ )?of payment "), false)
                    + ", " + queries + " sent, one trade's twice within 0.5 s " + queriedAtOnce);
            long closedAtOnce = atOnce(payment, "a.endpoint LIKE '%/close'", "out_trade_no");
            figures.add("closes by instance " + fromLogs(Service.PAYMENT, Pattern.compile("Close of payment "), false)
                    + ", one trade's twice within 0.5 s " + closedAtOnce);
            long refundedAtOnce = atOnce(payment, "a.endpoint = '/gateway/refunds'", "refund_no");
            figures.add("refunds by instance " + fromLogs(Service.PAYMENT, Pattern.compile("Refunded \\d+ of payment "), false)
                    + ", one refund's request twice within 0.5 s " + refundedAtOnce);
            if (queriedAtOnce + closedAtOnce + refundedAtOnce > 0) {
                wrong.add("a query, close or refund was sent twice at once: by two instances");
            }
            Map<String, Long> runs = new LinkedHashMap<>();
            try (Statement statement = payment.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT scheduled_date, COUNT(*) FROM reconciliation_run "
                            + "WHERE scheduled = 1 GROUP BY scheduled_date ORDER BY scheduled_date")) {
                while (rows.next()) {
                    runs.put(rows.getString(1), rows.getLong(2));
                }
            }
            // the run's row is unique per day: what shows a second run is a second reconciliation in the logs
            Map<String, Long> reconciledByInstance = new LinkedHashMap<>();
            for (String day : runs.keySet()) {
                Map<String, Long> byInstance = fromLogs(Service.PAYMENT,
                        Pattern.compile("Reconciliation of " + Pattern.quote(day) + " \\(run "), false);
                long total = byInstance.values().stream().mapToLong(Long::longValue).sum();
                byInstance.forEach((instance, count) -> reconciledByInstance.merge(instance, count, Long::sum));
                if (total != 1) {
                    wrong.add(day + " reconciled " + total + " times by the schedule (its instances' logs)");
                }
            }
            figures.add("scheduled reconciliation runs by day " + runs + " (every instance's schedule on), done by instance "
                    + reconciledByInstance);
            if (runs.isEmpty()) {
                wrong.add("no scheduled reconciliation ran");
            }
            long redrives = 0;
            long maxRedrives = 0;
            long redrivenTwice = 0;
            for (Service service : Service.withState()) {
                try (Connection connection = this.cluster.connect(service); Statement statement = connection.createStatement();
                        ResultSet rows = statement.executeQuery("SELECT COALESCE(SUM(redrive_count), 0), "
                                + "COALESCE(MAX(redrive_count), 0) FROM tally_dead_letter")) {
                    rows.next();
                    redrives += rows.getLong(1);
                    maxRedrives = Math.max(maxRedrives, rows.getLong(2));
                }
                try (Connection connection = this.cluster.connect(service)) {
                    // each re-drive records an action; more actions than re-drives counted is a re-drive done twice
                    redrivenTwice += count(connection, "SELECT COUNT(*) FROM (SELECT a.target, COUNT(*) n FROM "
                        + "tally_dead_letter_action a WHERE a.action = 'REDRIVE' GROUP BY a.target) r JOIN tally_dead_letter d "
                        + "ON r.target = CONCAT('dl-', d.id) WHERE r.n > d.redrive_count");
                }
            }
            if (redrivenTwice > 0) {
                wrong.add(redrivenTwice + " dead letters re-driven more often than counted: by two instances at once");
            }
            figures.add("re-drives " + redrives + ", at most " + maxRedrives + " of one dead letter (at most "
                    + MAX_REDRIVES + " allowed), re-driven twice at once " + redrivenTwice);
            if (maxRedrives > MAX_REDRIVES) {
                wrong.add("a dead letter re-driven " + maxRedrives + " times, more than the " + MAX_REDRIVES + " allowed");
            }
        }
        catch (SQLException ex) {
            return new Invariants.Verdict(title, false, "cannot read the databases: " + ex);
        }
        return new Invariants.Verdict(title, wrong.isEmpty(), String.join("; ", figures)
                + (wrong.isEmpty() ? "" : "; wrong: " + Invariants.first(wrong)));
    }

    /** Pairs of one trade's (or refund's) requests of a kind sent less than 0.5 s apart. */
    private static long atOnce(Connection connection, String kind, String key) throws SQLException {
        return count(connection, "SELECT COUNT(*) FROM channel_exchange a JOIN channel_exchange b ON b." + key + " = a." + key
                + " AND b.endpoint = a.endpoint AND b.method = a.method AND b.id > a.id"
                + " AND b.started_at < a.started_at + INTERVAL 500000 MICROSECOND"
                + " WHERE a.direction = 'OUTBOUND' AND b.direction = 'OUTBOUND' AND a." + key + " IS NOT NULL AND " + kind);
    }

    private static long count(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /**
     * Per instance, the lines of its log (across its restarts) that match; with {@code sum}, the sum of each match's
     * first group instead of the count of lines.
     */
    private Map<String, Long> fromLogs(Service service, Pattern pattern, boolean sum) {
        Map<String, Long> byInstance = new LinkedHashMap<>();
        for (Cluster.Instance instance : this.cluster.instances(service)) {
            long total = 0;
            try (var lines = Files.lines(this.cluster.log(instance))) {
                for (String line : (Iterable<String>) lines::iterator) {
                    Matcher matcher = pattern.matcher(line);
                    if (matcher.find()) {
                        total += sum ? Long.parseLong(matcher.group(1)) : 1;
                    }
                }
            }
            catch (IOException | java.io.UncheckedIOException ex) {
                total = -1;
            }
            byInstance.put(instance.name(), total);
        }
        return byInstance;
    }
}
