package io.tally.benchmark;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitMessageOperations;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.amqp.support.converter.JacksonJsonMessageConverter;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateCustomizer;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.modulith.events.EventExternalizationConfiguration;
import org.springframework.modulith.events.IncompleteEventPublications;
import org.springframework.modulith.events.RoutingTarget;
import org.springframework.modulith.events.core.EventPublicationRepository;
import org.springframework.modulith.events.core.PublicationTargetIdentifier;
import org.springframework.modulith.events.core.TargetEventPublication;
import org.springframework.modulith.events.support.EventExternalizationTransport;
import org.springframework.modulith.events.support.EventExternalizerModuleListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The peer the outbox is measured against, on the same database server, broker and workload, in the same run:
 * Spring Modulith's event publication registry (JDBC) with its externalization to RabbitMQ.
 * <p>
 * A producer's transaction inserts the business row and publishes the event; the registry stores one
 * publication row for the externalizing listener in that transaction. After the commit the listener runs
 * asynchronously, sends the event to the exchange and completes the publication once the broker confirmed it.
 * That is Spring Modulith's own {@link EventExternalizerModuleListener} with the transport that
 * {@code spring-modulith-events-amqp}'s {@code RabbitEventExternalizerConfiguration} builds for its confirming
 * (outbox) mode, copied below because that artifact is not served by this project's package registry: a
 * correlated publisher confirm, and the publication completed when the confirm is an ack. Completion mode
 * {@code DELETE} (a completed publication is deleted): Spring Modulith's default keeps completed rows and finds
 * the row to complete by its serialized event, without an index, so every completion would scan a table that
 * only grows. Quorum queue, JSON body, 4 connections more than producers. What it lacks next to the outbox: a
 * message id and the headers the consumers rely on, per-aggregate order, a retry schedule with dead rows.
 */
final class ModulithPeer implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private final Consumer<String> print;

    private final String exchange;

    private final String queue;

    ModulithPeer(String jdbcUrl, String user, String password, String autoCommit, String rabbitHost,
            String rabbitPort, String rabbitUser, String rabbitPassword, String prefix, int producers, boolean confirmed,
            Consumer<String> print) {
        this.print = print;
        this.exchange = prefix + "modulith.events";
        this.queue = prefix + "modulith";
        this.context = new SpringApplicationBuilder(PeerApplication.class).run("--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=" + user, "--spring.datasource.password=" + password,
                "--spring.datasource.hikari.maximum-pool-size=" + (producers + 8),
                "--spring.datasource.hikari.auto-commit=" + autoCommit,
                "--spring.rabbitmq.host=" + rabbitHost, "--spring.rabbitmq.port=" + rabbitPort,
                "--spring.rabbitmq.username=" + rabbitUser, "--spring.rabbitmq.password=" + rabbitPassword,
                // confirms only where they are asked for: the unconfirmed peer's channels are not in confirm mode
                "--spring.rabbitmq.publisher-confirm-type=" + (confirmed ? "correlated" : "none"),
                "--spring.modulith.events.jdbc.schema-initialization.enabled=true",
                "--spring.modulith.events.completion-mode=delete",
                "--spring.modulith.events.republish-outstanding-events-on-restart=false",
                "--spring.main.banner-mode=off", "--peer.exchange=" + this.exchange, "--peer.confirmed=" + confirmed);
        try {
            RabbitAdmin admin = new RabbitAdmin(this.context.getBean(CachingConnectionFactory.class));
            TopicExchange topic = new TopicExchange(this.exchange);
            Queue quorum = QueueBuilder.durable(this.queue).quorum().build();
            admin.declareExchange(topic);
            admin.declareQueue(quorum);
            admin.declareBinding(BindingBuilder.bind(quorum).to(topic).with("#"));
            this.context.getBean(JdbcTemplate.class).execute(
                    "CREATE TABLE IF NOT EXISTS bench_business (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                            + "aggregate_id VARCHAR(64) NOT NULL, amount BIGINT NOT NULL)");
        }
        catch (RuntimeException ex) {
            close();
            throw ex;
        }
    }

    /** The events the peer externalizes: the benchmark's event and when it was created, for the latency. */
    record PeerEvent(String orderNo, String userId, long amount, String currency, String note, long createdMicros) {
    }

    /** Counts confirmed events and their creation-to-confirm latency. */
    static final class Confirms {

        final AtomicLong confirmed = new AtomicLong();

        final Recorder latency = new Recorder(3);

        void confirmed(Object payload) {
            if (payload instanceof PeerEvent event) {
                this.latency.recordValue(Math.max(0, micros(Instant.now()) - event.createdMicros()));
            }
            this.confirmed.incrementAndGet();
        }
    }

    /** The pre-filled registry emptied by Spring Modulith's own resubmission of incomplete publications. */
    double drain(int rows) {
        JdbcTemplate jdbc = this.context.getBean(JdbcTemplate.class);
        TransactionTemplate transaction = this.context.getBean(TransactionTemplate.class);
        Confirms confirms = this.context.getBean(Confirms.class);
        // one publication through the front door: its row, read in its transaction, names the listener
        long first = confirms.confirmed.get();
        String listener = transaction.execute(status -> {
            ((ApplicationEventPublisher) this.context).publishEvent(event("warm-up", "u-0", "warm-up"));
            return jdbc.queryForObject("SELECT LISTENER_ID FROM EVENT_PUBLICATION WHERE COMPLETION_DATE IS NULL",
                    String.class);
        });
        Producers.awaitAtLeast(() -> confirms.confirmed.get() - first, 1, "warm-up confirmed");
        Producers.awaitAtMost(() -> incomplete(jdbc), 0, "warm-up completed");
        EventPublicationRepository repository = this.context.getBean(EventPublicationRepository.class);
        int aggregates = Math.max(1, rows / 4);
        long fillStart = System.nanoTime();
        for (int from = 0; from < rows; from += 5000) {
            int start = from;
            int to = Math.min(rows, from + 5000);
            transaction.executeWithoutResult(status -> {
                for (int i = start; i < to; i++) {
                    String order = "o-" + (i % aggregates);
                    repository.create(TargetEventPublication.of(event(order, "u-" + (i % 997), "seq " + i / aggregates),
                            PublicationTargetIdentifier.of(listener)));
                }
            });
        }
        this.print.accept(String.format(Locale.ROOT, "peer fill: %d publications in %.1f s", rows,
                LatencyRecorder.since(fillStart).toMillis() / 1000.0));
        long before = confirms.confirmed.get();
        long start = System.nanoTime();
        this.context.getBean(IncompleteEventPublications.class).resubmitIncompletePublications(publication -> true);
        Producers.awaitAtLeast(() -> confirms.confirmed.get() - before, rows, "publications confirmed");
        Producers.awaitAtMost(() -> incomplete(jdbc), 0, "publications completed");
        double seconds = LatencyRecorder.since(start).toNanos() / 1e9;
        confirms.latency.getIntervalHistogram();
        return rows / seconds;
    }

    /** Producers as in the outbox's sustained phase; answers commits/s and prints the figures. */
    double sustained(int seconds, int producers, double targetRate) throws InterruptedException {
        JdbcTemplate jdbc = this.context.getBean(JdbcTemplate.class);
        TransactionTemplate transaction = this.context.getBean(TransactionTemplate.class);
        ApplicationEventPublisher events = ((ApplicationEventPublisher) this.context);
        Confirms confirms = this.context.getBean(Confirms.class);
        confirms.latency.getIntervalHistogram();
        long confirmedBefore = confirms.confirmed.get();
        Producers.Run run = Producers.run(producers, seconds, targetRate, "p", (producer, order) ->
                transaction.executeWithoutResult(status -> {
                    jdbc.update("INSERT INTO bench_business (aggregate_id, amount) VALUES (?, ?)", order, 12_345);
                    events.publishEvent(event(order, "u-" + producer, "sustained"));
                }), () -> incomplete(jdbc));
        long committed = run.commits();
        double rate = run.rate();
        List<Long> backlog = run.backlog();
        long tailStart = System.nanoTime();
        Producers.awaitAtLeast(() -> confirms.confirmed.get() - confirmedBefore, committed, "events confirmed");
        Producers.awaitAtMost(() -> incomplete(jdbc), 0, "publications completed");
        double tail = LatencyRecorder.since(tailStart).toMillis() / 1000.0;
        Histogram latency = confirms.latency.getIntervalHistogram();
        this.lastLatency = latency;
        long maxBacklog = backlog.stream().mapToLong(Long::longValue).max().orElse(0);
        long lastBacklog = backlog.isEmpty() ? 0 : backlog.get(backlog.size() - 1);
        String label = targetRate > 0 ? String.format(Locale.ROOT, "peer half rate (target %,.0f/s)", targetRate)
                : "peer sustained";
        this.print.accept(String.format(Locale.ROOT, "%-10s %,10.0f commits/s (business row + publication row, %d "
                + "producers, %d s); incomplete max %,d, last %,d; completed %.2f s after producers stopped",
                label + ":", rate, producers, seconds, maxBacklog, lastBacklog, tail));
        this.print.accept("           commit-to-confirm " + LatencyRecorder.describe(latency));
        return rate;
    }

    private Histogram lastLatency = new Histogram(3);

    /** The commit-to-confirm latencies of the last sustained phase. */
    Histogram lastLatency() {
        return this.lastLatency;
    }

    private static PeerEvent event(String order, String user, String note) {
        return new PeerEvent(order, user, 12_345, "CNY", note, micros(Instant.now()));
    }

    private static long incomplete(JdbcTemplate jdbc) {
        Long count = jdbc.queryForObject("SELECT COUNT(*) FROM EVENT_PUBLICATION WHERE COMPLETION_DATE IS NULL",
                Long.class);
        return count == null ? 0 : count;
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }

    @Override
    public void close() {
        try {
            RabbitAdmin admin = new RabbitAdmin(this.context.getBean(CachingConnectionFactory.class));
            admin.deleteQueue(this.queue);
            admin.deleteExchange(this.exchange);
        }
        finally {
            this.context.close();
        }
    }

    /** The peer's application: Spring Boot's and Spring Modulith's auto-configuration, none of this project's. */
    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = { "io.tally.topology.TopologyAutoConfiguration",
            "io.tally.outbox.OutboxAutoConfiguration", "io.tally.inbox.InboxAutoConfiguration",
            "io.tally.deadletter.DeadLetterAutoConfiguration", "io.tally.http.IdempotencyAutoConfiguration",
            "io.tally.operator.OperatorSecurityAutoConfiguration", "io.tally.http.StrictJsonAutoConfiguration" })
    static class PeerApplication {

        @Bean
        Confirms confirms() {
            return new Confirms();
        }

        /** The events of the benchmark, to the run's exchange with the routing key the outbox uses. */
        @Bean
        EventExternalizationConfiguration eventExternalizationConfiguration(Environment environment) {
            String exchange = environment.getRequiredProperty("peer.exchange");
            return EventExternalizationConfiguration.externalizing()
                .selectByType(PeerEvent.class)
                .route(PeerEvent.class, event -> RoutingTarget.forTarget(exchange).andKey("bench.happened"))
                .build();
        }

        /** As {@code spring-modulith-events-amqp}'s {@code RabbitJacksonConfiguration}: JSON bodies. */
        @Bean
        RabbitTemplateCustomizer peerJson(JsonMapper mapper) {
            return template -> template.setMessageConverter(new JacksonJsonMessageConverter(mapper));
        }

        /**
         * Spring Modulith's externalizing listener with a transport of {@code spring-modulith-events-amqp} 2.1: with
         * {@code peer.confirmed} that of {@code createConfirmingRabbitTransport} (the publication completes once
         * the broker acks), else that of {@code createRabbitTransport}, what its default mode ships (the
         * publication completes once the message is handed to the client library, confirmed or not).
         */
        @Bean
        EventExternalizerModuleListener rabbitEventExternalizer(EventExternalizationConfiguration configuration,
                RabbitMessageOperations operations, Confirms confirms, Environment environment) {
            boolean confirmed = environment.getProperty("peer.confirmed", Boolean.class, true);
            EventExternalizationTransport transport = (payload, target) -> {
                if (!confirmed) {
                    operations.convertAndSend(target.getTarget(), target.getKey(), payload, Map.of());
                    confirms.confirmed(payload);
                    return java.util.concurrent.CompletableFuture.completedFuture(null);
                }
                CorrelationData correlation = new CorrelationData();
                Map<String, Object> headers = Map.of(AmqpHeaders.PUBLISH_CONFIRM_CORRELATION, correlation);
                operations.convertAndSend(target.getTarget(), target.getKey(), payload, headers);
                return correlation.getFuture().thenAccept(confirm -> {
                    if (!confirm.ack()) {
                        throw new IllegalStateException("RabbitMQ publisher confirm was nacked: " + confirm.reason());
                    }
                    confirms.confirmed(payload);
                });
            };
            return new EventExternalizerModuleListener(configuration, transport);
        }
    }
}
