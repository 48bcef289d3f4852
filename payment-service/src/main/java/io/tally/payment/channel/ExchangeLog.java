package io.tally.payment.channel;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.jdbc.SqlTime;

/**
 * The channel exchange log: every request to the channel and its response, every callback and the answer
 * given. Each entry is committed on its own, through a small connection pool of its own, so it survives a
 * rollback of the business transaction around the call, and a busy business pool cannot starve it.
 */
@Component
public class ExchangeLog implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ExchangeLog.class);

    private static final Pattern TRADE_IN_PATH = Pattern.compile("/(?:gateway/trades|out-trade-no)/([^/?]+)");

    /**
     * The request attribute under which a callback endpoint leaves the trade number of the notification it
     * verified (a WeChat Pay notification carries it encrypted), for the log to file the exchange under.
     */
    public static final String TRADE_ATTRIBUTE = ExchangeLog.class.getName() + ".outTradeNo";

    private static final int MAX_BODY = 60_000;

    private final HikariDataSource dataSource;

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    private final JsonMapper json;

    private final Clock clock;

    ExchangeLog(DataSourceProperties properties, JsonMapper json, Clock clock) {
        this.dataSource = properties.initializeDataSourceBuilder().type(HikariDataSource.class).build();
        this.dataSource.setPoolName("exchange-log");
        this.dataSource.setMaximumPoolSize(4);
        this.dataSource.setMinimumIdle(1);
        this.jdbc = JdbcClient.create(this.dataSource);
        this.transaction = new TransactionTemplate(new JdbcTransactionManager(this.dataSource));
        this.json = json;
        this.clock = clock;
    }

    /** One exchange with the channel. */
    public record Entry(Direction direction, String method, String endpoint, Map<String, String> headers,
            @Nullable String requestBody, @Nullable Integer status, @Nullable String responseBody, long durationMs,
            @Nullable String error, Instant startedAt, @Nullable String outTradeNo, @Nullable String refundNo) {

        /** An exchange whose trade and refund numbers the log reads from its path and body. */
        public Entry(Direction direction, String method, String endpoint, Map<String, String> headers,
                @Nullable String requestBody, @Nullable Integer status, @Nullable String responseBody, long durationMs,
                @Nullable String error, Instant startedAt) {
            this(direction, method, endpoint, headers, requestBody, status, responseBody, durationMs, error, startedAt,
                    null, null);
        }
    }

    /** Who spoke first. */
    public enum Direction {
        /** We called the channel. */
        OUTBOUND,
        /** The channel called us back. */
        INBOUND
    }

    /** A stored exchange, as operators read it. */
    public record Stored(long id, String direction, String method, String endpoint, @Nullable String outTradeNo,
            @Nullable String refundNo, @Nullable String requestHeaders, @Nullable String requestBody,
            @Nullable Integer responseStatus, @Nullable String responseBody, long durationMs, @Nullable String error,
            Instant startedAt) {
    }

    /**
     * Records the exchange in a transaction of its own. A failure to record is logged, never thrown: the log
     * must not change the outcome of the exchange it describes.
     */
    public void record(Entry entry) {
        String outTradeNo = entry.outTradeNo() != null ? entry.outTradeNo()
                : field(entry.requestBody(), "outTradeNo", "out_trade_no");
        if (outTradeNo == null) {
            Matcher matcher = TRADE_IN_PATH.matcher(entry.endpoint());
            outTradeNo = matcher.find() ? matcher.group(1) : null;
        }
        String refundNo = entry.refundNo() != null ? entry.refundNo()
                : field(entry.requestBody(), "refundNo", "out_refund_no", "out_request_no");
        String trade = outTradeNo;
        try {
            this.transaction.executeWithoutResult(status -> this.jdbc.sql("""
                    INSERT INTO channel_exchange (direction, method, endpoint, out_trade_no, refund_no, request_headers,
                        request_body, response_status, response_body, duration_ms, error, started_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(entry.direction().name(), entry.method(), cut(entry.endpoint(), 255), cut(trade, 40),
                        cut(refundNo, 48),
                        this.json.writeValueAsString(entry.headers()), cut(entry.requestBody(), MAX_BODY),
                        entry.status(), cut(entry.responseBody(), MAX_BODY), entry.durationMs(),
                        cut(entry.error(), 1000), SqlTime.of(entry.startedAt()))
                .update());
        }
        catch (RuntimeException ex) {
            log.error("ALERT could not record a channel exchange {} {} {}: {}", entry.direction(), entry.method(),
                    entry.endpoint(), ex.toString());
        }
    }

    /** The exchanges about a trade (payment number), oldest first. */
    public List<Stored> ofTrade(String outTradeNo) {
        return this.jdbc.sql("""
                SELECT id, direction, method, endpoint, out_trade_no, refund_no, request_headers, request_body,
                    response_status, response_body, duration_ms, error, started_at
                FROM channel_exchange WHERE out_trade_no = ? ORDER BY id""")
            .param(outTradeNo)
            .query((rs, n) -> new Stored(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                    rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getObject(9, Integer.class),
                    rs.getString(10), rs.getLong(11), rs.getString(12),
                    SqlTime.instant(rs.getObject(13, java.time.LocalDateTime.class))))
            .list();
    }

    Instant now() {
        return this.clock.instant();
    }

    /**
     * The first of the named fields in a JSON body, or in a form-encoded one (Alipay's notifications), or in the
     * JSON of its {@code biz_content} parameter (Alipay's requests).
     */
    private @Nullable String field(@Nullable String body, String... names) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            if (body.trim().startsWith("{")) {
                JsonNode node = this.json.readTree(body);
                for (String name : names) {
                    JsonNode value = node.get(name);
                    if (value != null && value.isString()) {
                        return value.asString();
                    }
                }
                return null;
            }
            Map<String, String> form = new java.util.HashMap<>();
            for (String pair : body.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    form.putIfAbsent(java.net.URLDecoder.decode(pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            for (String name : names) {
                if (form.containsKey(name)) {
                    return form.get(name);
                }
            }
            return form.containsKey("biz_content") ? field(form.get("biz_content"), names) : null;
        }
        catch (RuntimeException unreadable) {
            return null;
        }
    }

    /** The marker that ends a value cut to fit its column. */
    static final String CUT = "[cut]";

    /** The text as it fits in {@code max} characters: whole, or its start followed by {@link #CUT}. */
    static @Nullable String cut(@Nullable String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max - CUT.length()) + CUT;
    }

    @Override
    public void destroy() {
        this.dataSource.close();
    }
}
