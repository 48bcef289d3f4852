package io.tally.flow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.tally.channel.PemKeys;
import io.tally.system.Endpoints;
import io.tally.system.Service;
import io.tally.gateway.GatewayApplication;
import io.tally.inventory.InventoryApplication;
import io.tally.order.OrderApplication;
import io.tally.payment.PaymentApplication;
import io.tally.testing.ServiceTestProperties;
import io.tally.testing.TestInfrastructure;

/**
 * The three services and the gateway simulator, started once per JVM in one process on loopback, each with a
 * database of its own and all sharing broker names of their own; and an HTTP client for their public contract.
 * The payment window is short (seconds) so that timeouts happen within a test.
 */
final class FlowFixtures implements Endpoints {

    /** The shown payment window in these tests. */
    static final Duration PAYMENT_WINDOW = Duration.ofSeconds(4);

    /** The grace after the shown deadline before an unpaid order is cancelled. */
    static final Duration CANCEL_GRACE = Duration.ofSeconds(1);

    /**
     * The channels the flow tests run through (every flow system has all three enabled, each against the simulator
     * speaking its protocol); {@code -Dflow.channels=wechat} runs them through fewer.
     */
    static final List<String> CHANNELS = List.of(System.getProperty("flow.channels", String.join(",", io.tally.system.Cluster.CHANNELS)).split(","));

    /** Our Alipay app and seller, WeChat Pay merchant, app, key serial and WeChat Pay's key id: the system test's. */
    static final String ALIPAY_APP_ID = io.tally.system.Cluster.ALIPAY_APP_ID;

    static final String ALIPAY_SELLER_ID = io.tally.system.Cluster.ALIPAY_SELLER_ID;

    static final String WECHAT_MCHID = io.tally.system.Cluster.WECHAT_MCHID;

    static final String WECHAT_APPID = io.tally.system.Cluster.WECHAT_APPID;

    static final String WECHAT_SERIAL = io.tally.system.Cluster.WECHAT_SERIAL;

    static final String WECHAT_PUBLIC_KEY_ID = io.tally.system.Cluster.WECHAT_PUBLIC_KEY_ID;

    static final String OPERATOR = "Basic " + Base64.getEncoder()
        .encodeToString(("operator:" + ServiceTestProperties.OPERATOR_PASSWORD).getBytes(StandardCharsets.UTF_8));

    private static final Map<String, FlowFixtures> started = new java.util.concurrent.ConcurrentHashMap<>();

    /** Active queries late enough that callbacks, not queries, race the cancellations. */
    // No query at the deadline either: in this system callbacks alone race the cancellations (the deadline queries
    // have a system of their own, deadlineSystem()).
    private static final List<String> LATE_QUERIES = List.of("--payment.checks.query-delays=1h",
            "--payment.checks.deadline-queries=");

    /** Active queries and refund retries within a test's time, and no daily reconciliation. */
    private static final List<String> FAST_CHECKS = List.of("--payment.checks.query-delays=1500ms,400ms,800ms",
            "--payment.checks.deadline-queries=",
            "--payment.checks.query-max-attempts=6", "--payment.checks.refund-delays=300ms,600ms",
            "--payment.checks.refund-max-attempts=5", "--payment.checks.lease=10s",
            "--payment.checks.close-delays=300ms,600ms");

    final ConfigurableApplicationContext gateway;

    final ConfigurableApplicationContext inventory;

    final ConfigurableApplicationContext order;

    /** payment-service; replaced by {@link #restartPayment()}. */
    volatile ConfigurableApplicationContext payment;

    /** The merchant's key pair: the tests sign requests to the channel as payment-service would. */
    final KeyPair merchantKeys;

    /** The arguments payment-service was started with, database included: further instances share them. */
    private final List<String> paymentArgs = new ArrayList<>();

    final KeyPair channelKeys;

    private final Path keys;

    final String gatewayUrl;

    final String orderUrl;

    final String inventoryUrl;

    final String paymentUrl;

    final JsonMapper json = JsonMapper.builder().build();

    /** Writes notifications as each channel sends them. */
    final Notifier notifier;

    /** The channel payments are made through ({@link #useChannel}); the simulator's own protocol unless set. */
    private volatile String channel = "simulator";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private FlowFixtures(Duration paymentWindow, List<String> paymentSettings) throws IOException {
        String prefix = TestInfrastructure.newBrokerPrefix();
        KeyPair merchant = PemKeys.generate();
        this.merchantKeys = merchant;
        this.channelKeys = PemKeys.generate();
        this.keys = Files.createTempDirectory("tally-flow-keys");
        Path keys = this.keys;
        Path merchantPrivate = Files.writeString(keys.resolve("merchant-private.pem"), PemKeys.pem(merchant.getPrivate()));
        Path channelPrivate = Files.writeString(keys.resolve("channel-private.pem"), PemKeys.pem(this.channelKeys.getPrivate()));
        Path channelPublic = Files.writeString(keys.resolve("channel-public.pem"), PemKeys.pem(this.channelKeys.getPublic()));
        // WeChat Pay's API v3 key: 32 characters, a secret of this run
        String apiV3Key = UUID.randomUUID().toString().replace("-", "");
        this.notifier = new Notifier(ALIPAY_SELLER_ID, WECHAT_APPID, WECHAT_PUBLIC_KEY_ID, apiV3Key);
        int gatewayPort = freePort();
        int paymentPort = freePort();
        this.gatewayUrl = "http://127.0.0.1:" + gatewayPort;
        this.paymentUrl = "http://127.0.0.1:" + paymentPort;
        this.gateway = GatewayApplication.application().run("--server.port=" + gatewayPort,
                "--gateway.private-key-location=file:" + channelPrivate, "--gateway.merchants[0].id=M100",
                "--gateway.merchants[0].public-key=" + PemKeys.pem(merchant.getPublic()),
                "--gateway.callback-retry-delays=200ms,500ms,1s,2s,4s",
                "--gateway.alipay.apps[0].app-id=" + ALIPAY_APP_ID, "--gateway.alipay.apps[0].seller-id=" + ALIPAY_SELLER_ID,
                "--gateway.alipay.apps[0].public-key=" + PemKeys.pem(merchant.getPublic()),
                "--gateway.alipay.notify-retry-delays=200ms,500ms,1s,2s,4s",
                "--gateway.wechat.public-key-id=" + WECHAT_PUBLIC_KEY_ID,
                "--gateway.wechat.merchants[0].mchid=" + WECHAT_MCHID, "--gateway.wechat.merchants[0].appid=" + WECHAT_APPID,
                "--gateway.wechat.merchants[0].serial-no=" + WECHAT_SERIAL,
                "--gateway.wechat.merchants[0].public-key=" + PemKeys.pem(merchant.getPublic()),
                "--gateway.wechat.merchants[0].api-v3-key=" + apiV3Key,
                "--gateway.wechat.notify-retry-delays=200ms,500ms,1s,2s,4s",
                // The services' libraries share this class path; the simulator alone has none of them.
                "--spring.autoconfigure.exclude=" + String.join(",",
                        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
                        "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration",
                        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
                        "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
                        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
                        "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
                        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
                        "io.tally.http.IdempotencyAutoConfiguration", "io.tally.operator.OperatorSecurityAutoConfiguration"));
        List<String> common = List.of("--tally.topology.prefix=" + prefix,
                "--tally.topology.delete-on-close=true", "--tally.topology.retry-delays=200ms,1s",
                "--spring.security.user.password=" + ServiceTestProperties.OPERATOR_PASSWORD,
                "--tally.outbox.poll-interval=200ms", "--tally.dead-letters.redrive-delays=2s,5s",
                // every trace reported (FinishedSpans), soon after it ends
                "--management.tracing.sampling.probability=1.0",
                "--management.opentelemetry.tracing.export.schedule-delay=200ms");
        this.inventory = start(InventoryApplication.application(), common, "--server.port=0");
        this.order = start(OrderApplication.application(), common, "--server.port=0", "--order.payment-window=" + paymentWindow.toMillis() + "ms",
                "--order.cancel-grace=" + CANCEL_GRACE.toMillis() + "ms", "--order.timeout-poll=100ms");
        List<String> payment = new ArrayList<>(List.of("--server.port=" + paymentPort,
                "--payment.channel.base-url=" + this.gatewayUrl, "--payment.channel.merchant-id=M100",
                "--payment.channel.merchant-private-key=file:" + merchantPrivate,
                "--payment.channel.channel-public-key=file:" + channelPublic,
                "--payment.channel.notify-url=" + this.paymentUrl + "/api/payments/callbacks",
                "--payment.alipay.enabled=true", "--payment.alipay.server-url=" + this.gatewayUrl + "/alipay/gateway.do",
                "--payment.alipay.app-id=" + ALIPAY_APP_ID, "--payment.alipay.seller-id=" + ALIPAY_SELLER_ID,
                "--payment.alipay.app-private-key=file:" + merchantPrivate,
                "--payment.alipay.alipay-public-key=file:" + channelPublic,
                "--payment.alipay.notify-url=" + this.paymentUrl + "/api/payments/callbacks/alipay",
                // the payment windows here are seconds long: a QR code nobody scanned is closed a second after expiry
                "--payment.alipay.expiry-margin=1s",
                "--payment.wechat.enabled=true", "--payment.wechat.base-url=" + this.gatewayUrl,
                "--payment.wechat.mchid=" + WECHAT_MCHID, "--payment.wechat.appid=" + WECHAT_APPID,
                "--payment.wechat.merchant-serial-number=" + WECHAT_SERIAL,
                "--payment.wechat.merchant-private-key=file:" + merchantPrivate,
                "--payment.wechat.public-key-id=" + WECHAT_PUBLIC_KEY_ID,
                "--payment.wechat.public-key=file:" + channelPublic, "--payment.wechat.api-v3-key=" + apiV3Key,
                "--payment.wechat.notify-url=" + this.paymentUrl + "/api/payments/callbacks/wechat",
                "--payment.reconciliation.enabled=false", "--payment.checks.poll=100ms"));
        payment.addAll(paymentSettings);
        this.payment = start(PaymentApplication.application(), common, payment.toArray(String[]::new));
        this.paymentArgs.addAll(this.lastArgs);
        this.orderUrl = url(this.order);
        this.inventoryUrl = url(this.inventory);
    }

    /** The running system whose callbacks, not active queries, race the cancellations; started on first use. */
    static FlowFixtures system() {
        return started("callbacks", PAYMENT_WINDOW, LATE_QUERIES);
    }

    /**
     * A running system for reconciliation through one channel: only that channel's test's trades are in its
     * statements.
     */
    static FlowFixtures reconciliationSystem(String channel) {
        return started("reconciliation-" + channel, PAYMENT_WINDOW, FAST_CHECKS);
    }

    /**
     * A system whose payments are queried only at the deadline shown to the user and in the grace after it (its
     * regular queries come after an hour): a payment made in time whose callback is lost is found there.
     */
    static FlowFixtures deadlineSystem() {
        return started("deadline", PAYMENT_WINDOW, List.of("--payment.checks.query-delays=1h",
                "--payment.checks.deadline-queries=0s,500ms"));
    }

    /** A second running system whose active queries and refund retries run within a test's time. */
    static FlowFixtures channelSystem() {
        return started("channel", PAYMENT_WINDOW, FAST_CHECKS);
    }

    /**
     * A system whose payment-service may be restarted or joined by a second instance: its first query comes 6 s
     * after a payment is created (later than a restart takes), within a payment window of 20 s, and each
     * instance claims one query at a time.
     */
    static FlowFixtures scaleOutSystem() {
        return started("scale-out", Duration.ofSeconds(20), List.of(
                // replicas share the topology: one that stops must not delete it (the last one does, at the end)
                "--tally.topology.delete-on-close=false", "--payment.checks.query-delays=6s,400ms,800ms",
                "--payment.checks.deadline-queries=",
                "--payment.checks.query-max-attempts=10", "--payment.checks.refund-delays=300ms,600ms",
                "--payment.checks.lease=10s", "--payment.checks.batch=1", "--payment.checks.close-delays=300ms,600ms"));
    }

    /**
     * Starts another instance of payment-service on the same database and broker names (as a second replica
     * would run); the caller closes it.
     */
    ConfigurableApplicationContext startPaymentInstance() throws IOException {
        List<String> args = new ArrayList<>(this.paymentArgs.stream().filter(a -> !a.startsWith("--server.port=")).toList());
        args.add("--server.port=" + freePort());
        return PaymentApplication.application().run(args.toArray(String[]::new));
    }

    /** Stops payment-service (its context closes) and starts it again on the same port and database. */
    void restartPayment() {
        this.payment.close();
        this.payment = PaymentApplication.application().run(this.paymentArgs.toArray(String[]::new));
    }

    private static FlowFixtures started(String name, Duration paymentWindow, List<String> paymentSettings) {
        return started.computeIfAbsent(name, n -> {
            try {
                FlowFixtures system = new FlowFixtures(paymentWindow, paymentSettings);
                Runtime.getRuntime().addShutdownHook(new Thread(system::stop, "stop-flow-" + n));
                return system;
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        });
    }

    private List<String> lastArgs = List.of();

    private ConfigurableApplicationContext start(SpringApplication application, List<String> common,
            String... more) {
        List<String> args = new ArrayList<>(common);
        args.add("--spring.datasource.url=" + TestInfrastructure.servers().jdbcUrl(TestInfrastructure.newDatabase()));
        args.add("--spring.datasource.username=" + TestInfrastructure.servers().dbUser());
        args.add("--spring.datasource.password=" + TestInfrastructure.servers().dbPassword());
        args.add("--spring.rabbitmq.host=" + TestInfrastructure.servers().rabbitHost());
        args.add("--spring.rabbitmq.port=" + TestInfrastructure.servers().rabbitPort());
        args.add("--spring.rabbitmq.username=" + TestInfrastructure.servers().rabbitUser());
        args.add("--spring.rabbitmq.password=" + TestInfrastructure.servers().rabbitPassword());
        args.addAll(List.of(more));
        // a later argument replaces an earlier one of the same name (Spring would join repeated ones with a comma)
        java.util.Map<String, String> byName = new java.util.LinkedHashMap<>();
        for (String arg : args) {
            byName.put(arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg, arg);
        }
        this.lastArgs = List.copyOf(byName.values());
        application.addInitializers(FinishedSpans.collector());
        return application.run(this.lastArgs.toArray(String[]::new));
    }

    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Stops a system once the test class that uses it is done, so that the systems of one run never hold their
     * database connections all at once (five systems of four applications exceed a default server's 151).
     */
    static void release(FlowFixtures system) {
        started.values().removeIf(running -> running == system);
        system.stop();
    }

    private void stop() {
        if (!this.stopped.compareAndSet(false, true)) {
            return;
        }
        if ("false".equals(this.payment.getEnvironment().getProperty("tally.topology.delete-on-close"))) {
            this.payment.getBean(io.tally.topology.TopologyDeclarer.class).deleteAll();
        }
        for (ConfigurableApplicationContext context : List.of(this.payment, this.order, this.inventory, this.gateway)) {
            context.close();
        }
        org.springframework.util.FileSystemUtils.deleteRecursively(this.keys.toFile());
    }

    private static String url(ConfigurableApplicationContext context) {
        return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    JdbcTemplate jdbc(ConfigurableApplicationContext context) {
        return context.getBean(JdbcTemplate.class);
    }

    private ConfigurableApplicationContext context(Service service) {
        return switch (service) {
            case GATEWAY -> this.gateway;
            case INVENTORY -> this.inventory;
            case ORDER -> this.order;
            case PAYMENT -> this.payment;
        };
    }

    @Override
    public String url(Service service) {
        return switch (service) {
            case GATEWAY -> this.gatewayUrl;
            case INVENTORY -> this.inventoryUrl;
            case ORDER -> this.orderUrl;
            case PAYMENT -> this.paymentUrl;
        };
    }

    @Override
    public String operatorPassword() {
        return ServiceTestProperties.OPERATOR_PASSWORD;
    }

    @Override
    public java.sql.Connection connect(Service service) throws java.sql.SQLException {
        return context(service).getBean(javax.sql.DataSource.class).getConnection();
    }

    /** The messages in every queue of the three services' topologies, asked of the broker queue by queue. */
    @Override
    public Map<String, Long> queueDepths() {
        Map<String, Long> depths = new java.util.TreeMap<>();
        for (Service service : Service.withState()) {
            ConfigurableApplicationContext context = context(service);
            var admin = new org.springframework.amqp.rabbit.core.RabbitAdmin(
                    context.getBean(org.springframework.amqp.rabbit.connection.ConnectionFactory.class));
            for (String queue : context.getBean(io.tally.topology.Topology.class).names().queues()) {
                java.util.Properties properties = admin.getQueueProperties(queue);
                if (properties == null) {
                    throw new IllegalStateException("Queue " + queue + " of " + service.module() + " does not exist");
                }
                depths.put(queue, ((Number) properties.get(org.springframework.amqp.rabbit.core.RabbitAdmin.QUEUE_MESSAGE_COUNT))
                    .longValue());
            }
        }
        return depths;
    }

    // ---- the public HTTP contract ----

    /** An HTTP answer. */
    record Answer(int status, JsonNode body, HttpResponse<String> raw) {

        String header(String name) {
            return this.raw.headers().firstValue(name).orElse(null);
        }
    }

    Answer send(String method, String url, Object body, Map<String, String> headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
            headers.forEach(request::header);
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            else {
                String text = body instanceof String s ? s : this.json.writeValueAsString(body);
                if (!headers.containsKey("Content-Type")) {
                    request.header("Content-Type", "application/json");
                }
                request.method(method, HttpRequest.BodyPublishers.ofString(text));
            }
            HttpResponse<String> response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String text = response.body().trim();
            JsonNode node = text.startsWith("{") || text.startsWith("[") ? this.json.readTree(text)
                    : this.json.getNodeFactory().stringNode(text);
            return new Answer(response.statusCode(), node, response);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    Answer putStock(String sku, long price, int available) {
        return send("PUT", this.inventoryUrl + "/api/stock/" + sku, Map.of("price", price, "available", available),
                Map.of("Authorization", OPERATOR));
    }

    JsonNode stock(String sku) {
        return send("GET", this.inventoryUrl + "/api/stock/" + sku, null, Map.of()).body();
    }

    Answer placeOrder(String key, String userId, Map<String, Integer> items) {
        List<Map<String, Object>> lines = new ArrayList<>();
        items.forEach((sku, quantity) -> lines.add(Map.of("sku", sku, "quantity", quantity)));
        return send("POST", this.orderUrl + "/api/orders", Map.of("userId", userId, "items", lines),
                Map.of("Idempotency-Key", key));
    }

    String placeOrder(String userId, Map<String, Integer> items) {
        Answer answer = placeOrder(UUID.randomUUID().toString(), userId, items);
        if (answer.status() != 201) {
            throw new IllegalStateException("Order not placed: " + answer.status() + " " + answer.body());
        }
        return answer.body().get("orderNo").asString();
    }

    JsonNode order(String orderNo) {
        return send("GET", this.orderUrl + "/api/orders/" + orderNo, null, Map.of()).body();
    }

    String status(String orderNo) {
        return order(orderNo).get("status").asString();
    }

    Answer cancel(String orderNo) {
        return send("POST", this.orderUrl + "/api/orders/" + orderNo + "/cancel", null, Map.of());
    }

    JsonNode coupons(String userId) {
        return send("GET", this.orderUrl + "/api/users/" + userId + "/coupons", null, Map.of()).body();
    }

    /**
     * Makes the following payments through this channel. Test classes parameterised by channel set it before each
     * test; the flow systems are shared, and their tests run one at a time.
     */
    void useChannel(String channel) {
        this.channel = channel;
    }

    /** The channel payments are made through now. */
    String channel() {
        return this.channel;
    }

    /**
     * An exchange with the channel as the tests compare them across protocols: what was asked ({@code CREATE},
     * {@code QUERY}, {@code CLOSE}, {@code REFUND}, {@code REFUND_QUERY}, {@code STATEMENT}, {@code CALLBACK}) and
     * what came of it ({@code OK}; {@code UNKNOWN}: the channel knows no such trade; {@code PAID}: a close of a paid
     * trade; {@code FAILED}: the channel failed or was not reached; {@code REFUSED}), read from the exchange log in
     * the protocol's own terms.
     */
    record Call(String kind, String outcome) {

        @Override
        public String toString() {
            return this.kind + " " + this.outcome;
        }
    }

    /** An exchange-log entry as a {@link Call}. */
    Call call(JsonNode exchange) {
        String endpoint = exchange.path("endpoint").asString("");
        String method = exchange.path("method").asString("");
        int status = exchange.path("responseStatus").asInt(0);
        String body = exchange.path("responseBody").asString("");
        if ("INBOUND".equals(exchange.path("direction").asString())) {
            boolean acknowledged = (status == 200 && "success".equals(body.trim())) || status == 204;
            return new Call("CALLBACK", acknowledged ? "OK" : status >= 500 ? "FAILED" : "REFUSED");
        }
        int methodAt = endpoint.indexOf("method=");
        if (methodAt >= 0) {
            String name = endpoint.substring(methodAt + "method=".length());
            String kind = switch (name) {
                case "alipay.trade.precreate" -> "CREATE";
                case "alipay.trade.query" -> "QUERY";
                case "alipay.trade.close" -> "CLOSE";
                case "alipay.trade.refund" -> "REFUND";
                case "alipay.trade.fastpay.refund.query" -> "REFUND_QUERY";
                default -> "STATEMENT";
            };
            if (status != 200 || body.isBlank()) {
                return new Call(kind, "FAILED");
            }
            JsonNode answer = this.json.readTree(body).path(name.replace('.', '_') + "_response");
            String code = answer.path("code").asString("");
            String subCode = answer.path("sub_code").asString("");
            return new Call(kind, switch (code) {
                case "10000" -> "OK";
                case "20000" -> "FAILED";
                default -> subCode.equals("ACQ.TRADE_NOT_EXIST") ? "UNKNOWN"
                        : subCode.equals("ACQ.TRADE_STATUS_ERROR") ? "PAID" : "REFUSED";
            });
        }
        String kind;
        if (endpoint.endsWith("/close")) {
            kind = "CLOSE";
        }
        else if (endpoint.startsWith("/gateway/refunds") || (endpoint.startsWith("/v3/refund/") && "POST".equals(method))) {
            kind = "REFUND";
        }
        else if (endpoint.startsWith("/v3/refund/")) {
            kind = "REFUND_QUERY";
        }
        else if (endpoint.startsWith("/gateway/statements") || endpoint.contains("bill")) {
            kind = "STATEMENT";
        }
        else if ("POST".equals(method)) {
            kind = "CREATE";
        }
        else {
            kind = "QUERY";
        }
        String outcome;
        if (status == 0 || status >= 500) {
            outcome = "FAILED";
        }
        else if (status == 404) {
            outcome = "UNKNOWN";
        }
        else if (body.contains("ALREADY_PAID") || body.contains("ORDERPAID")) {
            outcome = "PAID";
        }
        else {
            outcome = status < 300 ? "OK" : "REFUSED";
        }
        return new Call(kind, outcome);
    }

    /** Our merchant identity at the channel payments go through now, as its notifications name it. */
    String merchantId() {
        return switch (this.channel) {
            case "alipay" -> ALIPAY_APP_ID;
            case "wechat" -> WECHAT_MCHID;
            default -> "M100";
        };
    }

    /** Sends a notification to payment-service as its channel would. */
    Answer notify(Notifier.Sent sent) {
        return notify(sent.path(), sent);
    }

    /** Sends a notification to payment-service at another spelling of its endpoint's path. */
    Answer notify(String path, Notifier.Sent sent) {
        Map<String, String> headers = new java.util.HashMap<>(sent.headers());
        headers.put("Content-Type", sent.contentType());
        return send("POST", this.paymentUrl + path, sent.body(), headers);
    }

    Answer createPayment(String orderNo) {
        return send("POST", this.paymentUrl + "/api/payments", Map.of("orderNo", orderNo, "channel", this.channel),
                Map.of("Idempotency-Key", UUID.randomUUID().toString()));
    }

    JsonNode payment(String paymentNo) {
        return send("GET", this.paymentUrl + "/api/payments/" + paymentNo, null, Map.of()).body();
    }

    Answer pay(String paymentNo, Long callbackDelayMs) {
        return send("POST", this.gatewayUrl + "/gateway/trades/" + paymentNo + "/pay",
                callbackDelayMs == null ? "{}" : Map.of("callbackDelayMs", callbackDelayMs), Map.of());
    }

    void faults(Map<String, Object> faults) {
        send("DELETE", this.gatewayUrl + "/gateway/faults", null, Map.of());
        if (!faults.isEmpty()) {
            send("POST", this.gatewayUrl + "/gateway/faults", faults, Map.of());
        }
    }

    Answer admin(String method, String path, Object body) {
        return send(method, this.paymentUrl + path, body, Map.of("Authorization", OPERATOR));
    }

    JsonNode ledger(String outTradeNo) {
        return ledger().get(outTradeNo);
    }

    /** The channel's whole ledger, by trade number. */
    Map<String, JsonNode> ledger() {
        Map<String, JsonNode> ledger = new java.util.HashMap<>();
        send("GET", this.gatewayUrl + "/gateway/ledger", null, Map.of()).body()
            .forEach(entry -> ledger.put(entry.get("outTradeNo").asString(), entry));
        return ledger;
    }

    /** Creates the order's payment, once payment-service knows the order is payable. */
    String awaitPayment(String orderNo) {
        Answer created = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
            .until(() -> createPayment(orderNo), answer -> answer.status() == 201);
        return created.body().get("paymentNo").asString();
    }

    /** The order, once it has the status. */
    JsonNode awaitStatus(String orderNo, String status) {
        return org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
            .until(() -> order(orderNo), order -> status.equals(order.get("status").asString()));
    }

    Instant instant(JsonNode node) {
        return Instant.parse(node.asString());
    }
}
