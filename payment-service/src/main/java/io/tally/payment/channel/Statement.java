package io.tally.payment.channel;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The channel's statement of a day: its captures and refunds, checked against its closing line.
 *
 * @param lines every capture and refund
 */
public record Statement(LocalDate day, List<Line> lines, long payments, long refunds) {

    private static final Pattern TOTAL = Pattern.compile("# total,lines=(\\d+),payments=(\\d+),refunds=(\\d+)");

    /** A line: a capture ({@code PAYMENT}) or a refund ({@code REFUND}). */
    public record Line(String type, String outTradeNo, String tradeNo, @Nullable String refundNo, long amount, Instant time) {

        public boolean isPayment() {
            return "PAYMENT".equals(this.type);
        }
    }

    /** The statement of lines a channel's own format gave, each checked here (known type, positive amount). */
    public static Statement of(LocalDate day, List<Line> lines) {
        long payments = 0;
        long refunds = 0;
        for (Line line : lines) {
            if (!"PAYMENT".equals(line.type()) && !"REFUND".equals(line.type())) {
                throw new IllegalArgumentException("A line of an unknown type " + line.type() + ": " + line);
            }
            if (line.amount() <= 0) {
                throw new IllegalArgumentException("A line whose amount is not positive: " + line);
            }
            if (line.isPayment()) {
                payments = Math.addExact(payments, line.amount());
            }
            else {
                refunds = Math.addExact(refunds, line.amount());
            }
        }
        return new Statement(day, List.copyOf(lines), payments, refunds);
    }

    /** The statements of one day from several channels, as one (trade and refund numbers are ours, unique). */
    public static Statement merge(LocalDate day, List<Statement> statements) {
        List<Line> lines = new ArrayList<>();
        for (Statement statement : statements) {
            if (!statement.day().equals(day)) {
                throw new IllegalArgumentException("A statement of " + statement.day() + " is not of " + day);
            }
            lines.addAll(statement.lines());
        }
        return of(day, lines);
    }

    /**
     * Parses and checks a statement.
     * @throws IllegalArgumentException when it is malformed, of another day, or its lines do not add up to its
     * closing line
     */
    public static Statement parse(String csv, LocalDate day) {
        String[] rows = csv.split("\\R");
        if (rows.length < 3 || !rows[0].startsWith("# statement,") || !rows[0].endsWith("date=" + day)) {
            throw new IllegalArgumentException("Not a statement of " + day + ": " + (rows.length > 0 ? rows[0] : ""));
        }
        List<Line> lines = new ArrayList<>();
        long payments = 0;
        long refunds = 0;
        Matcher total = null;
        for (int i = 2; i < rows.length; i++) {
            String row = rows[i].trim();
            if (row.isEmpty()) {
                continue;
            }
            if (row.startsWith("# total")) {
                total = TOTAL.matcher(row);
                if (!total.matches()) {
                    throw new IllegalArgumentException("Malformed closing line: " + row);
                }
                continue;
            }
            String[] cells = row.split(",", -1);
            if (cells.length != 6) {
                throw new IllegalArgumentException("Malformed line " + (i + 1) + ": " + row);
            }
            Line line = line(cells, row, i + 1);
            lines.add(line);
            try {
                if (line.isPayment()) {
                    payments = Math.addExact(payments, line.amount());
                }
                else {
                    refunds = Math.addExact(refunds, line.amount());
                }
            }
            catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("The statement's amounts add up to more than minor units can hold (too "
                        + "large) at line " + (i + 1));
            }
        }
        if (total == null) {
            throw new IllegalArgumentException("The statement has no closing line: it may be cut short");
        }
        if (Integer.parseInt(total.group(1)) != lines.size() || Long.parseLong(total.group(2)) != payments
                || Long.parseLong(total.group(3)) != refunds) {
            throw new IllegalArgumentException("The statement's lines (" + lines.size() + ", payments " + payments
                    + ", refunds " + refunds + ") do not add up to its closing line: " + total.group());
        }
        return new Statement(day, lines, payments, refunds);
    }

    /** One line: a PAYMENT or a REFUND of a positive whole amount of minor units, at an ISO-8601 instant. */
    private static Line line(String[] cells, String row, int number) {
        if (!cells[0].equals("PAYMENT") && !cells[0].equals("REFUND")) {
            throw new IllegalArgumentException("Line " + number + " is of an unknown type " + cells[0] + ": " + row);
        }
        long amount;
        Instant time;
        try {
            amount = Long.parseLong(cells[4]);
            time = Instant.parse(cells[5]);
        }
        catch (NumberFormatException | java.time.format.DateTimeParseException ex) {
            throw new IllegalArgumentException("Malformed amount or time at line " + number + ": " + row, ex);
        }
        if (amount <= 0) {
            throw new IllegalArgumentException("Line " + number + " has an amount that is not positive: " + row);
        }
        return new Line(cells[0], cells[1], cells[2], cells[3].isEmpty() ? null : cells[3], amount, time);
    }
}
