package io.tally.outbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

import io.tally.confirm.PublisherConfirms;
import io.tally.contract.MessageHeaders;
import io.tally.outbox.OutboxStore.Failure;

/**
 * Publishes committed outbox rows.
 * <p>
 * Each worker loops: claim a batch in a short transaction ({@code FOR UPDATE SKIP LOCKED}, then a lease with
 * owner and expiry), publish it outside any transaction with the mandatory flag, wait for all its confirms
 * with a timeout, then mark SENT exactly the rows that were acked and not returned, and only while the lease
 * is still ours. A row whose publication failed backs off exponentially with jitter and becomes DEAD after
 * {@code max-attempts}. A commit wakes an idle worker at once; otherwise it looks again every poll interval,
 * which also recovers the rows of a crashed instance once their leases expire.
 */
public final class OutboxRelay implements SmartLifecycle {

    /** Starts after the topology is declared, stops before the connection factory closes. */
    public static final int PHASE = Integer.MAX_VALUE - 1000;

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    private final OutboxStore store;

    private final TransactionTemplate claimTransaction;

    private final RetryTemplate claimRetry;

    private final RabbitTemplate rabbit;

    private final OutboxProperties properties;

    private final Clock clock;

    private final String instanceId;

    private final String appId;

    private final JsonMapper json;

    private final OutboxListener listener;

    private final ExponentialBackOff backOff;

    private final Semaphore wakeUps = new Semaphore(0);

    private final AtomicLong claims = new AtomicLong();

    private final List<Thread> workers = new ArrayList<>();

    private volatile boolean running;

    /** Why the broker cannot be reached, while it cannot; {@code null} when it answers. */
    private volatile String brokerAway;

    OutboxRelay(OutboxStore store, TransactionTemplate claimTransaction, RetryTemplate claimRetry,
            RabbitTemplate rabbit, OutboxProperties properties, Clock clock, String instanceId, String appId,
            JsonMapper json, OutboxListener listener) {
        this.store = store;
        this.claimTransaction = claimTransaction;
        this.claimRetry = claimRetry;
        this.rabbit = rabbit;
        this.properties = properties;
        this.clock = clock;
        this.instanceId = instanceId;
        this.appId = appId;
        this.json = json;
        this.listener = listener;
        this.backOff = new ExponentialBackOff(properties.backoffInitial().toMillis(), properties.backoffMultiplier());
        this.backOff.setMaxInterval(properties.backoffMax().toMillis());
        this.backOff.setJitter(properties.backoffJitter().toMillis());
    }

    /** Wakes an idle worker: something was committed. */
    public void wakeUp() {
        if (this.wakeUps.availablePermits() < this.properties.workers()) {
            this.wakeUps.release();
        }
    }

    /**
     * Claims, publishes and finishes one batch; while the broker cannot be reached, claims nothing.
     * @return how many rows were claimed (0 when nothing was due, or the broker is away)
     */
    public int relayOnce() {
        if (this.brokerAway != null) {
            if (!brokerAnswers()) {
                return 0;
            }
            log.info("The broker answers again after {}: the relay resumes", this.brokerAway);
            this.brokerAway = null;
            this.listener.brokerAvailable();
        }
        String owner = this.instanceId + "#" + this.claims.incrementAndGet();
        long t0 = System.nanoTime();
        List<OutboxRecord> batch = claim(owner);
        long t1 = System.nanoTime();
        if (batch.isEmpty()) {
            return 0;
        }
        this.listener.claimed(batch);
        Outcome outcome = publish(batch);
        long t2 = System.nanoTime();
        Instant now = this.clock.instant();
        if (!outcome.confirmed.isEmpty()) {
            this.listener.beforeFinish(outcome.confirmed);
            int finished = retried(() -> this.store.finishSent(owner, outcome.confirmed, now));
            if (finished < outcome.confirmed.size()) {
                log.warn("{} of {} published rows had lost their lease to another relay; they may be published twice",
                        outcome.confirmed.size() - finished, outcome.confirmed.size());
            }
            this.listener.sent(outcome.confirmed);
        }
        if (!outcome.failures.isEmpty()) {
            retried(() -> {
                this.store.finishFailed(owner, outcome.failures);
                return 0;
            });
            outcome.failures.forEach(f -> this.listener.failed(f.record(), f.error(), f.dead()));
        }
        if (!outcome.released.isEmpty()) {
            retried(() -> {
                this.store.release(owner, outcome.released);
                return 0;
            });
        }
        if (outcome.brokerAway != null && this.brokerAway == null) {
            this.brokerAway = outcome.brokerAway;
            log.warn("The broker cannot be reached ({}): the relay pauses, {} rows wait unchanged; trying again every {}",
                    outcome.brokerAway, outcome.released.size(), this.properties.brokerProbeInterval());
            this.listener.brokerUnavailable(outcome.brokerAway);
        }
        if (log.isDebugEnabled()) {
            log.debug("batch of {}: claim {} ms, publish and confirm {} ms, finish {} ms", batch.size(),
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
        }
        return batch.size();
    }

    /** Whether the relay is paused because the broker cannot be reached. */
    public boolean brokerAway() {
        return this.brokerAway != null;
    }

    /**
     * Finishing a batch, retried at once on a lock wait or a deadlock like the claim: abandoning a published
     * batch leaves it to its lease, to be published a second time a lease later.
     */
    private int retried(java.util.function.IntSupplier finish) {
        try {
            return this.claimRetry.execute(finish::getAsInt);
        }
        catch (RetryException ex) {
            throw new IllegalStateException("Outbox finish failed", ex.getCause());
        }
    }

    private List<OutboxRecord> claim(String owner) {
        try {
            return this.claimRetry.execute(() -> this.claimTransaction.execute(status -> {
                Instant now = this.clock.instant();
                return this.store.claim(owner, this.properties.batchSize(), now, now.plus(this.properties.lease()));
            }));
        }
        catch (RetryException ex) {
            throw new IllegalStateException("Outbox claim failed", ex.getCause());
        }
    }

    /** What became of a batch: rows to mark SENT, rows to charge, rows to give back unchanged. */
    private static final class Outcome {

        final List<OutboxRecord> confirmed = new ArrayList<>();

        final List<Failure> failures = new ArrayList<>();

        final List<OutboxRecord> released = new ArrayList<>();

        String brokerAway;
    }

    /** How one send ended. */
    private enum Sent {
        /** Acked and not returned. */
        ACKED,
        /** The broker returned it (no queue bound) or nacked it on an open channel: the row's own failure. */
        REFUSED,
        /** Its channel closed (the broker closed it, or the connection went) or it was never sent: unknown whose fault. */
        LOST,
        /** No confirm within the confirm timeout. */
        UNCONFIRMED
    }

    private record Result(OutboxRecord record, Sent sent, String problem) {
    }

    /**
     * Publishes the batch and sorts its rows. Only a failure that belongs to a row counts towards its DEAD:
     * returned, nacked while the channel stayed open, larger than {@code max-message-size}, or one that fails
     * again when published alone. When the broker cannot be reached (or confirms nothing of a whole batch), the
     * rows not confirmed are given back unchanged and the relay pauses. When a channel closed under the batch
     * (one row can make the broker close it: an exchange that does not exist), the rows not confirmed are
     * published again one by one, so that the row at fault is found and the others are not charged.
     */
    private Outcome publish(List<OutboxRecord> batch) {
        Outcome outcome = new Outcome();
        List<OutboxRecord> sendable = new ArrayList<>(batch.size());
        long limit = this.properties.maxMessageSize().toBytes();
        for (OutboxRecord record : batch) {
            if (record.payload().length > limit) {
                outcome.failures.add(deadNow(record, "payload of " + record.payload().length
                        + " bytes exceeds tally.outbox.max-message-size (" + limit + " bytes)"));
            }
            else {
                sendable.add(record);
            }
        }
        List<Result> results = send(sendable);
        List<Result> doubtful = new ArrayList<>();
        boolean anyAnswer = false;
        for (Result result : results) {
            switch (result.sent()) {
                case ACKED -> {
                    outcome.confirmed.add(result.record());
                    anyAnswer = true;
                }
                case REFUSED -> {
                    outcome.failures.add(failure(result.record(), result.problem()));
                    anyAnswer = true;
                }
                case LOST, UNCONFIRMED -> doubtful.add(result);
            }
        }
        if (doubtful.isEmpty()) {
            return outcome;
        }
        boolean unconfirmedOnly = doubtful.stream().allMatch(r -> r.sent() == Sent.UNCONFIRMED);
        if ((unconfirmedOnly && !anyAnswer) || !brokerAnswers()) {
            // the broker is away, or confirms nothing at all (a resource alarm blocks publishers): not these
            // rows' fault
            doubtful.forEach(r -> outcome.released.add(r.record()));
            outcome.brokerAway = doubtful.get(0).problem();
            return outcome;
        }
        for (int i = 0; i < doubtful.size(); i++) {
            Result alone = send(List.of(doubtful.get(i).record())).get(0);
            boolean away = switch (alone.sent()) {
                case ACKED -> {
                    outcome.confirmed.add(alone.record());
                    yield false;
                }
                case REFUSED -> {
                    outcome.failures.add(failure(alone.record(), alone.problem()));
                    yield false;
                }
                case LOST -> {
                    // published alone, its channel closed again: the row is at fault, unless the broker went
                    if (brokerAnswers()) {
                        outcome.failures.add(failure(alone.record(), alone.problem() + " (published alone)"));
                        yield false;
                    }
                    yield true;
                }
                case UNCONFIRMED -> true;
            };
            if (away) {
                for (int j = i; j < doubtful.size(); j++) {
                    outcome.released.add(doubtful.get(j).record());
                }
                outcome.brokerAway = alone.problem();
                return outcome;
            }
        }
        return outcome;
    }

    /** Sends the rows on one channel and waits for their confirms; a result per row, in order. */
    private List<Result> send(List<OutboxRecord> rows) {
        List<Result> results = new ArrayList<>(rows.size());
        if (rows.isEmpty()) {
            return results;
        }
        List<CorrelationData> correlations = new ArrayList<>(rows.size());
        RuntimeException sendFailure = null;
        try {
            this.rabbit.invoke(operations -> {
                for (OutboxRecord record : rows) {
                    this.listener.beforePublish(record);
                    CorrelationData correlation = new CorrelationData(Long.toString(record.id()));
                    operations.send(record.exchange(), record.routingKey(), toMessage(record), correlation);
                    correlations.add(correlation);
                }
                // on this channel: when the broker closes it, this says why (the confirms only say it closed)
                operations.waitForConfirms(this.properties.confirmTimeout().toMillis());
                return null;
            });
        }
        catch (RuntimeException ex) {
            sendFailure = ex;
        }
        long deadline = System.nanoTime() + this.properties.confirmTimeout().toNanos();
        for (int i = 0; i < rows.size(); i++) {
            OutboxRecord record = rows.get(i);
            if (i >= correlations.size()) {
                results.add(new Result(record, Sent.LOST, "send failed: " + describe(sendFailure)));
                continue;
            }
            CorrelationData correlation = correlations.get(i);
            String problem = PublisherConfirms.problem(correlation, deadline, this.properties.confirmTimeout());
            if (problem == null) {
                results.add(new Result(record, Sent.ACKED, null));
            }
            else if (correlation.getReturned() != null || isBrokerNack(correlation)) {
                results.add(new Result(record, Sent.REFUSED, problem));
            }
            else if (problem.startsWith("no publisher confirm")) {
                results.add(new Result(record, Sent.UNCONFIRMED, problem));
            }
            else {
                results.add(new Result(record, Sent.LOST, sendFailure != null ? problem + ": " + describe(sendFailure) : problem));
            }
        }
        return results;
    }

    /**
     * Whether the confirm is the broker's own nack. A nack the client made up when the channel closed carries the
     * reason of the close; the broker's {@code basic.nack} carries none.
     */
    private static boolean isBrokerNack(CorrelationData correlation) {
        CorrelationData.Confirm confirm = correlation.getFuture().getNow(null);
        return confirm != null && !confirm.ack() && confirm.reason() == null;
    }

    /** Whether the publisher connection is open, or can be opened, now. */
    private boolean brokerAnswers() {
        org.springframework.amqp.rabbit.connection.ConnectionFactory factory = this.rabbit.getConnectionFactory();
        if (factory.getPublisherConnectionFactory() != null) {
            factory = factory.getPublisherConnectionFactory();
        }
        try (org.springframework.amqp.rabbit.connection.Connection connection = factory.createConnection()) {
            return connection.isOpen();
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    private Failure deadNow(OutboxRecord record, String error) {
        return new Failure(record, record.attempts() + 1, true, this.clock.instant(), error);
    }

    private Failure failure(OutboxRecord record, String error) {
        int attempts = record.attempts() + 1;
        boolean dead = attempts >= this.properties.maxAttempts();
        BackOffExecution execution = this.backOff.start();
        long delay = 0;
        for (int i = 0; i < attempts; i++) {
            delay = execution.nextBackOff();
        }
        String trimmed = error.length() > 2000 ? error.substring(0, 2000) : error;
        return new Failure(record, attempts, dead, this.clock.instant().plus(Duration.ofMillis(Math.max(delay, 0))),
                trimmed);
    }

    private Message toMessage(OutboxRecord record) {
        MessageProperties properties = new MessageProperties();
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setContentEncoding("UTF-8");
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        properties.setMessageId(record.messageId());
        properties.setType(record.eventType());
        properties.setTimestamp(Date.from(record.createdAt()));
        properties.setCorrelationId(record.correlationId());
        properties.setAppId(this.appId);
        properties.setHeader(MessageHeaders.EVENT_TYPE, record.eventType());
        properties.setHeader(MessageHeaders.SCHEMA_VERSION, record.schemaVersion());
        properties.setHeader(MessageHeaders.AGGREGATE_ID, record.aggregateId());
        properties.setHeader(MessageHeaders.OCCURRED_AT, record.createdAt().toString());
        if (record.correlationId() != null) {
            properties.setHeader(MessageHeaders.CORRELATION_ID, record.correlationId());
        }
        if (record.headers() != null) {
            this.json.readValue(record.headers(), HEADERS).forEach(properties::setHeader);
        }
        return new Message(record.payload(), properties);
    }

    private static String describe(Throwable ex) {
        if (ex == null) {
            return "unknown";
        }
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return ex.getClass().getSimpleName() + ": " + ex.getMessage()
                + (root != ex ? " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")" : "");
    }

    private void work() {
        while (this.running) {
            try {
                int claimed = relayOnce();
                if (this.brokerAway != null) {
                    // commits do not wake a paused relay: it looks again at its probe interval only
                    Thread.sleep(this.properties.brokerProbeInterval().toMillis());
                }
                else if (claimed == 0) {
                    this.wakeUps.tryAcquire(this.properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (RuntimeException ex) {
                // The batch is abandoned as a crash would leave it: its leases expire and it is claimed again.
                log.warn("Outbox relay batch failed, retrying after {}: {}", this.properties.pollInterval(), describe(ex));
                try {
                    this.wakeUps.tryAcquire(this.properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                }
                catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public synchronized void start() {
        if (this.running) {
            return;
        }
        this.running = true;
        for (int i = 0; i < this.properties.workers(); i++) {
            Thread worker = Thread.ofPlatform().name("tally-outbox-relay-" + i).daemon(true).unstarted(this::work);
            this.workers.add(worker);
            worker.start();
        }
    }

    @Override
    public synchronized void stop() {
        this.running = false;
        this.wakeUps.release(this.workers.size());
        for (Thread worker : this.workers) {
            try {
                worker.join(this.properties.confirmTimeout().plusSeconds(5).toMillis());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        this.workers.clear();
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public boolean isAutoStartup() {
        return this.properties.enabled();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
